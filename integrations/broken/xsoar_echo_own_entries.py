"""Broken XSOARMirror: the entries it wrote on the remote server come back as new entries.

Defect: get-remote-data no longer knows the API key's own user, so the notes it mirrored out
(written on the remote as that user) are read back and mirrored in. Must trip rule
mirror.no-echo.
"""
import XSOARMirror


def own_username(client):
    return None


XSOARMirror.own_username = own_username

if __name__ in ('__main__', '__builtin__', 'builtins'):
    XSOARMirror.main()

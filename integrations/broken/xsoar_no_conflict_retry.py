"""Broken XSOARMirror: a push that hits a version conflict gives up.

Defect: update-remote-system tries the save once; when the remote incident changed since it
was read (a 409 version conflict) the command fails instead of reloading the incident and
retrying, so the analyst's change never reaches the remote. Must trip rule
mirror.update-returns-id.
"""
import XSOARMirror

XSOARMirror.VERSION_TRIES = 1

if __name__ in ('__main__', '__builtin__', 'builtins'):
    XSOARMirror.main()

"""Subtle broken XSOARMirror: only the first modified remote incident is refreshed.

Defect (one line): get-modified-remote-data answers the first of the ids the remote server
lists, so when two mirrored incidents changed between two job runs only one is refreshed and
the other's new entries (and field edits) are never mirrored in. Must trip rule
mirror.entries-exactly-once (or mirror.fields-converge).
"""
import functools

import XSOARMirror

_reference = getattr(XSOARMirror.get_modified_remote_data_command, '__wrapped__',
                     XSOARMirror.get_modified_remote_data_command)


@functools.wraps(_reference)
def get_modified_remote_data_command(client, args):
    response = _reference(client, args)
    response.modified_incident_ids = response.modified_incident_ids[:1]
    return response


XSOARMirror.get_modified_remote_data_command = get_modified_remote_data_command

if __name__ in ('__main__', '__builtin__', 'builtins'):
    XSOARMirror.main()

"""Broken XSOARMirror: every push writes the whole mapped incident, not what changed.

Defect: update-remote-system sends every outgoing-mapped field instead of the delta, so a
local severity change also overwrites the remote name, details and owner (and any change made
on the remote since). Must trip rule mirror.delta-only.
"""
import XSOARMirror


def changed_remote_fields(data, delta, settings, incident_type):
    return {key: value for key, value in data.items() if key not in XSOARMirror.CLOSING_FIELDS}


XSOARMirror.changed_remote_fields = changed_remote_fields

if __name__ in ('__main__', '__builtin__', 'builtins'):
    XSOARMirror.main()

"""Broken XSOARMirror: only the first new remote entry of a sync reaches the war room.

Defect: get-remote-data keeps only the first entry the remote war room answers, so when two
notes were written on the remote between two job runs the second is never mirrored. The
reference keeps every entry it reads. Must trip rule mirror.entries-exactly-once.
"""
import functools

import XSOARMirror

# Unwrapped, so that running this file again in the same process does not stack the wrappers.
_reference = getattr(XSOARMirror.read_entries, '__wrapped__', XSOARMirror.read_entries)


@functools.wraps(_reference)
def read_entries(client, investigation_id, since, settings):
    return _reference(client, investigation_id, since, settings)[:1]


XSOARMirror.read_entries = read_entries

if __name__ in ('__main__', '__builtin__', 'builtins'):
    XSOARMirror.main()

"""Broken ServiceNowMirror: a rate-limited get-remote-data reports "no change" instead of failing.

Defect: when ServiceNow answers 429 during get-remote-data, the command swallows the error and
returns {} with no error entry, so the server marks the incident synced and the comments, work
notes and attachments of that window are never mirrored. The reference returns an error
containing 'API rate limit' so the next run retries. Must trip rule mirror.no-lost-entries.
"""
import functools

import ServiceNowMirror

# Unwrapped, so that running this file again in the same process does not stack the wrappers.
_reference = ServiceNowMirror.get_remote_data_command
_reference = getattr(_reference, '__wrapped__', _reference)


@functools.wraps(_reference)
def get_remote_data_command(client, args, settings):
    try:
        return _reference(client, args, settings)
    except ServiceNowMirror.RateLimitError:
        return {}


ServiceNowMirror.get_remote_data_command = get_remote_data_command

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()

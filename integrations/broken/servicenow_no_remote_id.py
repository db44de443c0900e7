"""Broken ServiceNowMirror: update-remote-system does its work but returns no remote id.

Defect: the ticket is created or updated in ServiceNow, but the command returns nothing instead
of the ticket's sys_id, so a ticket created from XSOAR never becomes the incident's dbotMirrorId.
Must trip rule mirror.update-returns-id.
"""
import functools

import ServiceNowMirror

# Unwrapped, so that running this file again in the same process does not stack the wrappers.
_reference = ServiceNowMirror.update_remote_system_command
_reference = getattr(_reference, '__wrapped__', _reference)


@functools.wraps(_reference)
def update_remote_system_command(client, args, settings):
    _reference(client, args, settings)
    return None


ServiceNowMirror.update_remote_system_command = update_remote_system_command

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()

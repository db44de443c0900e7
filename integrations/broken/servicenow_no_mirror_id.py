"""Broken ServiceNowMirror: fetched incidents carry neither the sys_id nor the mirror fields.

Defect: fetch-incidents strips sys_id, mirror_direction, mirror_instance and mirror_tags from each
incident's rawJSON, so the incoming mapper never sets dbotMirrorId (nor the other dbotMirror*
fields) and the incident can never be mirrored. Must trip rule mirror.mirror-id-set.
"""
import functools
import json

import ServiceNowMirror

STRIPPED_FIELDS = ('sys_id', 'mirror_direction', 'mirror_instance', 'mirror_tags')

# Unwrapped, so that running this file again in the same process does not stack the wrappers.
_reference = ServiceNowMirror.ticket_to_incident
_reference = getattr(_reference, '__wrapped__', _reference)


@functools.wraps(_reference)
def ticket_to_incident(ticket, settings):
    incident = _reference(ticket, settings)
    raw = json.loads(incident['rawJSON'])
    for field in STRIPPED_FIELDS:
        raw.pop(field, None)
    incident['rawJSON'] = json.dumps(raw)
    return incident


ServiceNowMirror.ticket_to_incident = ticket_to_incident

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()

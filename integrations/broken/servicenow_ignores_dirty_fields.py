"""Broken ServiceNowMirror: update-remote-system pushes every mapped field, not the delta.

Defect: the fields to PATCH are the whole outgoing-mapped incident instead of the fields changed
locally, so fields nobody touched in XSOAR are written to ServiceNow with the values XSOAR last
saw, overwriting newer changes made in ServiceNow. Must trip rule mirror.delta-only.
"""
import ServiceNowMirror


def changed_remote_fields(data, delta, mapper_out, incident_type):
    return dict(data)


ServiceNowMirror.changed_remote_fields = changed_remote_fields

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()

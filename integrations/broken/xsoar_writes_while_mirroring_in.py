"""Broken XSOARMirror: reading a remote incident in also writes to it.

Defect: get-remote-data stamps the remote war room with a note ("Synced to Cortex XSOAR")
every time it loads the incident, so a remote incident mirrored In only is written to by the
integration. Must trip rule mirror.direction.
"""
import XSOARMirror

_load = getattr(XSOARMirror.Client.load, '__wrapped__', XSOARMirror.Client.load)


def load_and_stamp(self, incident_id):
    incident = _load(self, incident_id)
    self.add_note(incident.get('investigationId') or incident_id, 'Synced to Cortex XSOAR', False, [])
    return incident


load_and_stamp.__wrapped__ = _load
XSOARMirror.Client.load = load_and_stamp

if __name__ in ('__main__', '__builtin__', 'builtins'):
    XSOARMirror.main()

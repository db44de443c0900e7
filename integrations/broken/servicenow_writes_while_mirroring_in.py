"""Broken ServiceNowMirror: reading a ticket in also writes to it.

Defect: get-remote-data stamps every ticket it reads with a work note ("Synced to Cortex
XSOAR"), so a ticket mirrored In only (or not at all outwards) is written to by the
integration. Must trip rule mirror.direction.
"""
import ServiceNowMirror

_read_ticket = getattr(ServiceNowMirror.Client.get_ticket, '__wrapped__', ServiceNowMirror.Client.get_ticket)


def get_ticket_and_stamp(self, sys_id):
    ticket = _read_ticket(self, sys_id)
    self.update_ticket(sys_id, {'work_notes': 'Synced to Cortex XSOAR'})
    return ticket


get_ticket_and_stamp.__wrapped__ = _read_ticket
ServiceNowMirror.Client.get_ticket = get_ticket_and_stamp

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()

"""Subtle broken ServiceNowMirror: a ticket opened for a local incident is fetched back.

Defect (one line): the tickets it opens for local incidents are not remembered, so the next
fetch takes such a ticket for a new ServiceNow incident and makes a second XSOAR incident
mirroring it. Must trip rule mirror.fetch-new-only.
"""
import ServiceNowMirror


def remember_created_ticket(sys_id):
    return None


ServiceNowMirror._remember_created_ticket = remember_created_ticket

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()

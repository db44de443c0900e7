"""Subtle broken ServiceNowMirror: the journal query reads at most three rows.

Defect (one line): get-remote-data asks ServiceNow for three journal rows at most
(sysparm_limit=3), so a ticket that got four or more comments and work notes between two syncs
loses the rest. Must trip rule mirror.entries-exactly-once.
"""
import ServiceNowMirror

_get_journal = getattr(ServiceNowMirror.Client.get_journal, '__wrapped__',
                       ServiceNowMirror.Client.get_journal)


def get_journal_capped(self, sys_id, since):
    query = (f'element_id={sys_id}^element=comments^ORelement=work_notes'
             f'^sys_created_on>{since}')
    return self._result('GET', 'table/sys_journal_field',
                        params={'sysparm_query': query, 'sysparm_limit': 3}) or []


get_journal_capped.__wrapped__ = _get_journal
ServiceNowMirror.Client.get_journal = get_journal_capped

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()

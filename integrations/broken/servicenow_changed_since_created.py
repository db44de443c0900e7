"""Subtle broken ServiceNowMirror: get-remote-data reads the ticket's creation time as its change.

Defect (one line): the ticket counts as changed since lastUpdate when it was created since, not
updated since, so after the first sync ServiceNow's field edits (urgency, description) never
reach the incident, while comments, work notes, files and closes, read on their own, still do.
Nothing fails: the incident just keeps stale fields. Must trip rule mirror.fields-converge.
"""
import ServiceNowMirror as sn


def get_remote_data_command(client, args, settings):
    parsed = sn.GetRemoteDataArgs(args)
    sys_id = parsed.remote_incident_id
    since = sn.to_sn_time(parsed.last_update) if parsed.last_update else sn.EPOCH_SN_TIME

    ticket = client.get_ticket(sys_id) or {}
    entries = sn.journal_entries(client, sys_id, since, settings)
    entries += sn.attachment_entries(client, sys_id, since, settings)
    entries += sn.status_entries(ticket, settings)

    created_on = ticket.get('sys_created_on')
    changed = bool(created_on) and sn.to_sn_time(created_on) > since
    return sn.remote_data_results(ticket if changed else {}, entries)


sn.get_remote_data_command = get_remote_data_command

if __name__ in ('__main__', '__builtin__', 'builtins'):
    sn.main()

"""ServiceNow Mirror: fetches ServiceNow incidents into XSOAR and keeps both sides in sync.

The integration talks to the ServiceNow Table API (`<url>/api/now/`) with basic auth and
implements the XSOAR mirroring contract:

- fetch-incidents creates XSOAR incidents from active ServiceNow incidents. Each raw ticket
  carries `mirror_direction`, `mirror_instance` and `mirror_tags`, which the incoming mapper turns
  into dbotMirrorDirection / dbotMirrorInstance / dbotMirrorTags (and `sys_id` into dbotMirrorId).
- get-modified-remote-data lists the tickets updated since the previous mirroring run.
- get-remote-data returns a ticket's fields (only when it changed) and, as entries, the comments,
  work notes and attachments added since the last sync, plus close / reopen entries.
- update-remote-system pushes local changes: the fields changed locally (the delta, under their
  ServiceNow names from the outgoing mapper), tagged entries as comments, work notes or
  attachments, and the closing of the incident. It returns the ticket's sys_id.
- get-mapping-fields describes the writable ServiceNow incident fields.

Text this integration writes to ServiceNow is marked with MIRROR_MARKER (attachments with
MIRRORED_FILE_SUFFIX in their name) and skipped when read back, so nothing echoes back to XSOAR.
A 429 from ServiceNow becomes an error containing 'API rate limit', which tells the server to
retry the incident in the next run instead of losing its updates.
"""
import demistomock as demisto  # noqa: F401
from CommonServerPython import *  # noqa: F401
from CommonServerUserPython import *  # noqa: F401

# Imported after the star imports so that nothing those modules export shadows them.
import json  # noqa: E402
import mimetypes  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import traceback  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402

API_PATH = '/api/now/'

TICKET_TABLE = 'incident'

# The incident type whose fields get-mapping-fields describes and the mappers map.
INCIDENT_TYPE = 'ServiceNow Incident'

# ServiceNow datetimes: UTC, second precision.
SN_TIME_FORMAT = '%Y-%m-%d %H:%M:%S'
EPOCH_SN_TIME = '1970-01-01 00:00:00'

# Appended to every comment and work note written from XSOAR; notes containing it are not
# mirrored back in.
MIRROR_MARKER = 'Mirrored from Cortex XSOAR'

# Inserted before the extension of every file uploaded from XSOAR; such attachments are not
# mirrored back in.
MIRRORED_FILE_SUFFIX = '_mirrored_from_xsoar'

# Fetch: at most this many incidents per run unless max_fetch says otherwise.
DEFAULT_MAX_FETCH = 50
DEFAULT_FIRST_FETCH = '3 days'

# get-modified-remote-data page size.
MODIFIED_PAGE_SIZE = 100
# A safety net: never page through more than this many modified tickets in one run.
MODIFIED_MAX_PAGES = 50

# ServiceNow states: 6 Resolved, 7 Closed.
CLOSED_STATES = ('6', '7')
STATE_LABELS = {'6': 'Resolved', '7': 'Closed'}
# The state update-remote-system sets when the XSOAR incident is closed.
CLOSE_STATE = '7'
DEFAULT_CLOSE_CODE = 'Closed/Resolved by Caller'
DEFAULT_CLOSE_NOTES = 'Closed in Cortex XSOAR.'
# Sent only with the closing update, never as ordinary field changes.
CLOSING_FIELDS = ('close_code', 'close_notes')

# ServiceNow severity (1 High, 2 Medium, 3 Low) -> XSOAR severity (3 High, 2 Medium, 1 Low).
SN_TO_XSOAR_SEVERITY = {'1': 3, '2': 2, '3': 1}

# mirror_direction param option -> the dbotMirrorDirection value.
MIRROR_DIRECTIONS = {
    'none': None,
    'incoming': 'In',
    'outgoing': 'Out',
    'incoming and outgoing': 'Both',
}

# A ticket number prefix ("INC0010001 - ") of an XSOAR incident name.
NUMBER_PREFIX = re.compile(r'^[A-Z]{2,8}\d{5,} - ')

# Integration context key: sys_ids of the tickets known to be closed on both sides, so that a
# close or a reopen is mirrored once.
CLOSED_TICKETS_KEY = 'closed_tickets'
# Integration context: the tickets opened for XSOAR incidents, which fetch never takes back.
CREATED_TICKETS_KEY = 'created_tickets'
# Integration context: the tickets whose last get-remote-data failed, read again next run.
FAILED_SYNCS_KEY = 'failed_syncs'
# Integration context: per ticket, the entries a push that then failed sent already.
PUSHED_ENTRIES_KEY = 'pushed_entries'

# Entry types that carry a file.
FILE_ENTRY_TYPES = (3, 9)  # EntryType.FILE, EntryType.ENTRY_INFO_FILE

# The writable ServiceNow incident fields get-mapping-fields lists.
WRITABLE_FIELDS = {
    'short_description': 'A one-line summary of the incident.',
    'description': 'The detailed description of the incident.',
    'state': 'The state: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled.',
    'impact': 'The impact: 1 High, 2 Medium, 3 Low.',
    'urgency': 'The urgency: 1 High, 2 Medium, 3 Low.',
    'severity': 'The severity: 1 High, 2 Medium, 3 Low.',
    'category': 'The category, e.g. inquiry, software, hardware, network.',
    'subcategory': 'The subcategory within the category.',
    'caller_id': 'The sys_id of the user who reported the incident.',
    'assigned_to': 'The sys_id of the user the incident is assigned to.',
    'assignment_group': 'The sys_id of the group the incident is assigned to.',
    'close_code': 'The resolution code, set when the incident is resolved or closed.',
    'close_notes': 'The resolution notes, set when the incident is resolved or closed.',
}


class RateLimitError(Exception):
    """ServiceNow answered 429: the caller must report 'API rate limit' and retry later."""


# --- time helpers -------------------------------------------------------------------------------

_ISO_TIME = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?'
    r'\s*(Z|[+-]\d{2}:?\d{2})?$'
)
_RELATIVE_TIME = re.compile(
    r'^(\d+)\s*(minute|min|hour|day|week|month|year)s?(?:\s+ago)?$', re.IGNORECASE
)
_UNIT_SECONDS = {
    'minute': 60,
    'min': 60,
    'hour': 3600,
    'day': 86400,
    'week': 7 * 86400,
    'month': 30 * 86400,
    'year': 365 * 86400,
}


def now_utc():
    """The current time (the harness's clock) as an aware UTC datetime."""
    return datetime.now(timezone.utc)


def parse_time(value):
    """Parses the time formats XSOAR and ServiceNow use into an aware UTC datetime.

    Accepts ISO 8601 (`2021-08-24T07:44:21.608Z`, with or without fraction and offset), the
    ServiceNow format (`2021-08-24 07:44:21`, UTC), a date, and epoch seconds or milliseconds.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    epoch_text = isinstance(value, str) and re.fullmatch(r'\d{9,}(\.\d+)?', value)
    if isinstance(value, (int, float)) or epoch_text:
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        return datetime.fromtimestamp(seconds, timezone.utc)
    match = _ISO_TIME.match(str(value or '').strip())
    if not match:
        raise ValueError(f'Unrecognized time: {value!r}')
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or '0')[:6].ljust(6, '0'))
    parsed = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                      int(second or 0), micro, tzinfo=timezone.utc)
    if offset and offset != 'Z':
        sign = 1 if offset[0] == '+' else -1
        digits = offset[1:].replace(':', '')
        parsed -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return parsed


def to_sn_time(value):
    """Formats a time as ServiceNow does: `YYYY-MM-DD HH:MM:SS` UTC (fractions are dropped)."""
    return parse_time(value).astimezone(timezone.utc).strftime(SN_TIME_FORMAT)


def sn_to_iso(value):
    """Converts a ServiceNow datetime into ISO 8601 UTC (`YYYY-MM-DDTHH:MM:SSZ`)."""
    return parse_time(value).astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_relative_time(text):
    """Turns a first-fetch value ("3 days", "12 hours", "1 week ago", or a date) into a time."""
    text = str(text or '').strip()
    match = _RELATIVE_TIME.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        return now_utc() - timedelta(seconds=amount * _UNIT_SECONDS[unit])
    try:
        return parse_time(text)
    except ValueError:
        raise ValueError(
            f'Invalid first fetch time {text!r}: use e.g. "3 days", "12 hours" or a date.'
        ) from None


# --- configuration ------------------------------------------------------------------------------

def _as_bool(value, default=False):
    if value is None or value == '':
        return default
    return argToBoolean(value)


class Settings:
    """The instance parameters the commands use, parsed once."""

    def __init__(self, params):
        self.fetch_query = (params.get('incidents_fetch_query') or '').strip()
        self.max_fetch = self._positive_int(params.get('max_fetch'), DEFAULT_MAX_FETCH, 'max_fetch')
        self.first_fetch = params.get('first_fetch') or DEFAULT_FIRST_FETCH
        direction = str(params.get('mirror_direction') or 'None').strip().lower()
        if direction not in MIRROR_DIRECTIONS:
            raise ValueError(f'Invalid mirror_direction {params.get("mirror_direction")!r}.')
        self.mirror_direction = MIRROR_DIRECTIONS[direction]
        self.comment_tag = params.get('comment_tag') or 'comments'
        self.work_notes_tag = params.get('work_notes_tag') or 'work_notes'
        self.file_tag = params.get('file_tag') or 'ForServiceNow'
        self.close_incident = _as_bool(params.get('close_incident'))
        self.close_out = _as_bool(params.get('close_out'))
        self.mapper_out = params.get('mapper-out') or ''
        self.incident_type = params.get('incidentType') or INCIDENT_TYPE

    @property
    def mirror_tags(self):
        return [self.comment_tag, self.work_notes_tag, self.file_tag]

    @staticmethod
    def _positive_int(value, default, name):
        if value in (None, ''):
            return default
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f'{name} must be a whole number, got {value!r}.') from None
        if number < 1:
            raise ValueError(f'{name} must be at least 1, got {number}.')
        return number


# --- client -------------------------------------------------------------------------------------

def is_rate_limited(error):
    """Whether an exception raised by BaseClient._http_request is an HTTP 429."""
    res = getattr(error, 'res', None)
    if res is not None and getattr(res, 'status_code', None) is not None:
        return res.status_code == 429
    return re.search(r'(?<![\w.])429(?![\w.])', str(error)) is not None


class Client(BaseClient):
    """ServiceNow Table API client (basic auth). Methods return the `result` of the response."""

    def __init__(self, base_url, username, password, verify=True, proxy=False):
        super().__init__(base_url=base_url, verify=verify, proxy=proxy,
                         headers={'Accept': 'application/json'}, auth=(username, password))
        self._api_base_url = base_url

    def _request(self, method, url_suffix, **kwargs):
        """Runs one request; a 429 becomes RateLimitError."""
        try:
            return self._http_request(method=method, url_suffix=url_suffix, **kwargs)
        except DemistoException as error:
            if is_rate_limited(error):
                res = getattr(error, 'res', None)
                retry_after = res.headers.get('Retry-After') if res is not None else None
                hint = f', retry after {retry_after} s' if retry_after else ''
                raise RateLimitError(
                    f'ServiceNow answered 429 to {method} {url_suffix}{hint}'
                ) from error
            raise

    def _result(self, method, url_suffix, **kwargs):
        response = self._request(method, url_suffix, **kwargs)
        return response.get('result') if isinstance(response, dict) else response

    def test(self):
        """Reads one active incident: proves the URL, the credentials and the table ACL."""
        return self._result('GET', f'table/{TICKET_TABLE}',
                            params={'sysparm_limit': 1, 'sysparm_query': 'active=true'})

    def query_tickets(self, query, limit, offset=None, fields=None):
        """Runs an encoded query on the incident table; returns the list of records."""
        params = {'sysparm_query': query}
        if fields:
            params['sysparm_fields'] = fields
        params['sysparm_limit'] = limit
        if offset is not None:
            params['sysparm_offset'] = offset
        return self._result('GET', f'table/{TICKET_TABLE}', params=params) or []

    def get_ticket(self, sys_id):
        return self._result('GET', f'table/{TICKET_TABLE}/{sys_id}')

    def create_ticket(self, fields):
        return self._result('POST', f'table/{TICKET_TABLE}', json_data=fields)

    def update_ticket(self, sys_id, fields):
        """PATCHes the ticket with raw (not display) values; an empty value clears a field."""
        return self._result('PATCH', f'table/{TICKET_TABLE}/{sys_id}',
                            params={'sysparm_input_display_value': 'False'}, json_data=fields)

    def get_journal(self, sys_id, since):
        """The comments and work notes of the ticket created after `since` (ServiceNow time)."""
        query = (f'element_id={sys_id}^element=comments^ORelement=work_notes'
                 f'^sys_created_on>{since}')
        return self._result('GET', 'table/sys_journal_field', params={'sysparm_query': query}) or []

    def get_attachments(self, sys_id, since):
        """The metadata of the ticket's attachments created after `since` (ServiceNow time)."""
        query = f'table_sys_id={sys_id}^sys_created_on>{since}'
        return self._result('GET', 'attachment', params={'sysparm_query': query}) or []

    def download_attachment(self, attachment):
        """The bytes of an attachment, read from its download_link."""
        link = attachment.get('download_link') or ''
        base = self._api_base_url.rstrip('/') + '/'
        if link.startswith(base):
            suffix = link[len(base):]
        else:  # a link on another host name: the same resource under our base URL
            suffix = f'attachment/{attachment.get("sys_id")}/file'
        return self._request('GET', suffix, resp_type='content')

    def upload_attachment(self, sys_id, file_name, path):
        """Attaches a local file to the ticket (multipart upload, the file part last)."""
        content_type = mimetypes.guess_type(file_name)[0] or 'application/octet-stream'
        with open(path, 'rb') as handle:
            return self._result(
                'POST', 'attachment/upload',
                data={'table_name': TICKET_TABLE, 'table_sys_id': sys_id},
                files={'file': (file_name, handle, content_type)},
            )


# --- shared helpers -----------------------------------------------------------------------------

def _load(value, default):
    """Server arguments may arrive as JSON text (scenario steps, some server versions)."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return default
        try:
            return json.loads(value)
        except ValueError:
            return default
    return default if value is None else value


def is_own_note(journal_row):
    """Whether a journal row was written by this integration (mirrored out from XSOAR)."""
    return MIRROR_MARKER in str(journal_row.get('value') or '')


def is_own_attachment(attachment):
    """Whether an attachment was uploaded by this integration (mirrored out from XSOAR)."""
    return MIRRORED_FILE_SUFFIX in str(attachment.get('file_name') or '')


def mirrored_file_name(name):
    """The ServiceNow name of a file mirrored out: MIRRORED_FILE_SUFFIX before the extension."""
    stem, extension = os.path.splitext(name or 'attachment')
    return f'{stem}{MIRRORED_FILE_SUFFIX}{extension}'


def is_ticket_closed(ticket):
    return str(ticket.get('state') or '') in CLOSED_STATES or bool(ticket.get('closed_at'))


def _get_closed_tickets():
    """The sys_ids known closed on both sides; None when the integration context is unavailable."""
    try:
        context = demisto.getIntegrationContext() or {}
    except Exception as error:  # the close/reopen bookkeeping must not break mirroring
        demisto.error(f'Cannot read the integration context: {error}')
        return None
    return set(context.get(CLOSED_TICKETS_KEY) or [])


def _set_ticket_closed(sys_id, closed):
    try:
        context = demisto.getIntegrationContext() or {}
        tickets = set(context.get(CLOSED_TICKETS_KEY) or [])
        if closed:
            tickets.add(sys_id)
        else:
            tickets.discard(sys_id)
        context[CLOSED_TICKETS_KEY] = sorted(tickets)
        demisto.setIntegrationContext(context)
    except Exception as error:
        demisto.error(f'Cannot update the integration context: {error}')


def _pushed_entries(sys_id):
    """The local entry ids a failed push of this ticket sent already."""
    context = demisto.getIntegrationContext() or {}
    return set((context.get(PUSHED_ENTRIES_KEY) or {}).get(sys_id) or [])


def _set_pushed_entries(sys_id, entry_ids):
    context = demisto.getIntegrationContext() or {}
    pushed = dict(context.get(PUSHED_ENTRIES_KEY) or {})
    if entry_ids:
        pushed[sys_id] = sorted(entry_ids)
    else:
        pushed.pop(sys_id, None)
    if pushed:
        context[PUSHED_ENTRIES_KEY] = pushed
    else:
        context.pop(PUSHED_ENTRIES_KEY, None)
    demisto.setIntegrationContext(context)


def _failed_syncs():
    """The sys_ids whose last get-remote-data failed (not on a rate limit, which the server
    retries itself)."""
    context = demisto.getIntegrationContext() or {}
    return set(context.get(FAILED_SYNCS_KEY) or [])


def _set_sync_failed(sys_id, failed):
    if not sys_id:
        return
    context = demisto.getIntegrationContext() or {}
    ids = set(context.get(FAILED_SYNCS_KEY) or [])
    if failed == (sys_id in ids):
        return
    ids = ids | {sys_id} if failed else ids - {sys_id}
    if ids:
        context[FAILED_SYNCS_KEY] = sorted(ids)
    else:
        context.pop(FAILED_SYNCS_KEY, None)
    demisto.setIntegrationContext(context)


def _created_tickets():
    """The sys_ids of the tickets this integration opened for XSOAR incidents."""
    context = demisto.getIntegrationContext() or {}
    return set(context.get(CREATED_TICKETS_KEY) or [])


def _remember_created_ticket(sys_id):
    context = demisto.getIntegrationContext() or {}
    context[CREATED_TICKETS_KEY] = sorted(set(context.get(CREATED_TICKETS_KEY) or []) | {sys_id})
    demisto.setIntegrationContext(context)


# --- test-module and fetch-incidents ------------------------------------------------------------

def test_module(client, settings, params):
    """Checks the connection and, when fetching is on, the fetch parameters."""
    if _as_bool(params.get('isFetch')):
        parse_relative_time(settings.first_fetch)
    try:
        client.test()
    except DemistoException as error:
        res = getattr(error, 'res', None)
        if res is not None and res.status_code == 401:
            raise DemistoException(
                'Authorization failed: check the username and password.'
            ) from error
        raise
    return 'ok'


def add_mirror_fields(ticket, settings):
    """The ticket with the fields the incoming mapper turns into the dbotMirror* fields."""
    ticket = dict(ticket)
    ticket['mirror_direction'] = settings.mirror_direction
    ticket['mirror_instance'] = demisto.integrationInstance()
    ticket['mirror_tags'] = settings.mirror_tags
    return ticket


def ticket_to_incident(ticket, settings):
    """An XSOAR incident for a fetched ticket; rawJSON is the ticket with its mirror fields."""
    number = ticket.get('number') or ''
    summary = ticket.get('short_description') or ''
    incident = {
        # The incoming mapper builds the same name from the same two fields.
        'name': f'{number} - {summary}',
        'occurred': sn_to_iso(ticket['opened_at']) if ticket.get('opened_at') else None,
        'rawJSON': json.dumps(add_mirror_fields(ticket, settings)),
    }
    severity = SN_TO_XSOAR_SEVERITY.get(str(ticket.get('severity') or ''))
    if severity is not None:
        incident['severity'] = severity
    return incident


def fetch_incidents(client, settings, last_run):
    """Fetches active tickets opened since the last run, oldest first.

    lastRun is {'time': <opened_at of the newest fetched ticket, ServiceNow format>, 'ids': [the
    sys_ids fetched with exactly that opened_at]}. The query includes that second (>=) so that
    tickets opened in the same second as the last one fetched are not lost, and the ids keep
    those already fetched from being fetched twice.

    :return: (incidents, next lastRun)
    """
    since = last_run.get('time')
    since = to_sn_time(since) if since else to_sn_time(parse_relative_time(settings.first_fetch))
    fetched_ids = set(last_run.get('ids') or [])
    created_here = _created_tickets()

    query = f'stateNOT IN6,7^ORDERBYopened_at^opened_at>={since}'
    if settings.fetch_query:
        query += f'^{settings.fetch_query}'
    # Ask for the already-fetched tickets of that second on top, so a full page always
    # holds max_fetch new tickets when there are that many.
    tickets = client.query_tickets(query, limit=settings.max_fetch + len(fetched_ids))

    def opened_at(ticket):
        return to_sn_time(ticket['opened_at']) if ticket.get('opened_at') else since

    incidents = []
    newest, newest_ids = since, set(fetched_ids)
    for ticket in sorted(tickets, key=opened_at):
        sys_id = ticket.get('sys_id')
        if sys_id in fetched_ids or sys_id in created_here:
            continue
        if len(incidents) >= settings.max_fetch:
            break
        incidents.append(ticket_to_incident(ticket, settings))
        opened = opened_at(ticket)
        if opened > newest:
            newest, newest_ids = opened, {sys_id}
        elif opened == newest:
            newest_ids.add(sys_id)
    return incidents, {'time': newest, 'ids': sorted(newest_ids)}


# --- incoming mirroring -------------------------------------------------------------------------

def get_modified_remote_data_command(client, args):
    """The sys_ids of the tickets updated since lastUpdate."""
    parsed = GetModifiedRemoteDataArgs(args)
    since = to_sn_time(parsed.last_update or now_utc())
    modified_ids = []
    for page in range(MODIFIED_MAX_PAGES):
        records = client.query_tickets(f'sys_updated_on>{since}', limit=MODIFIED_PAGE_SIZE,
                                       offset=page * MODIFIED_PAGE_SIZE, fields='sys_id')
        modified_ids.extend(record['sys_id'] for record in records if record.get('sys_id'))
        if len(records) < MODIFIED_PAGE_SIZE:
            break
    # A ticket whose last get-remote-data failed is read again, changed or not: the server
    # has moved lastUpdate past what that run did not bring in.
    modified_ids.extend(sorted(_failed_syncs() - set(modified_ids)))
    return GetModifiedRemoteDataResponse(modified_ids)


def journal_entries(client, sys_id, since, settings):
    """Entries for the comments and work notes added in ServiceNow since `since`.

    Notes this integration wrote (they carry MIRROR_MARKER) are skipped.
    """
    rows = [row for row in client.get_journal(sys_id, since) if not is_own_note(row)]
    entries = []
    for row in sorted(rows, key=lambda r: str(r.get('sys_created_on') or '')):
        work_note = row.get('element') == 'work_notes'
        kind = 'work note' if work_note else 'comment'
        header = (f'ServiceNow {kind} by {row.get("sys_created_by") or "unknown"} '
                  f'on {row.get("sys_created_on") or "?"} UTC:')
        entries.append({
            'Type': EntryType.NOTE,
            'Contents': f'{header}\n{row.get("value") or ""}',
            'ContentsFormat': EntryFormat.TEXT,
            'Tags': [settings.work_notes_tag if work_note else settings.comment_tag],
            'Note': work_note,
        })
    return entries


def attachment_entries(client, sys_id, since, settings):
    """File entries for the attachments added in ServiceNow since `since` (not our own uploads)."""
    entries = []
    for attachment in client.get_attachments(sys_id, since):
        if is_own_attachment(attachment):
            continue
        content = client.download_attachment(attachment)
        entry = fileResult(attachment.get('file_name') or 'attachment', content)
        entry['Tags'] = [settings.file_tag]
        entries.append(entry)
    return entries


def status_entries(ticket, settings):
    """A close entry for a ticket closed in ServiceNow, a reopen entry for one active again.

    Only with close_incident on. Each transition is mirrored once: the integration context keeps
    the sys_ids known closed on both sides.
    """
    if not settings.close_incident:
        return []
    closed_tickets = _get_closed_tickets()
    sys_id = ticket.get('sys_id')
    if is_ticket_closed(ticket):
        if closed_tickets is not None and sys_id in closed_tickets:
            return []
        _set_ticket_closed(sys_id, True)
        state = str(ticket.get('state') or '')
        return [{
            'Type': EntryType.NOTE,
            'Contents': {
                'dbotIncidentClose': True,
                'closeReason': ticket.get('close_code') or STATE_LABELS.get(state, 'Closed'),
                'closeNotes': ticket.get('close_notes') or '',
            },
            'ContentsFormat': EntryFormat.JSON,
        }]
    if closed_tickets and sys_id in closed_tickets:
        _set_ticket_closed(sys_id, False)
        return [{
            'Type': EntryType.NOTE,
            'Contents': {'dbotIncidentReopen': True},
            'ContentsFormat': EntryFormat.JSON,
        }]
    return []


def remote_data_results(mirrored_object, entries):
    """What get-remote-data returns: [object, entries...], the object {} when no field changed.

    GetRemoteDataResponse drops the entries when the object is empty, so in that case the
    entries go out behind an explicit empty object.
    """
    if mirrored_object:
        return GetRemoteDataResponse(mirrored_object, entries)
    return [{}] + entries


def get_remote_data_command(client, args, settings):
    """The ticket (when updated since lastUpdate) and the new comments, notes and files."""
    parsed = GetRemoteDataArgs(args)
    sys_id = parsed.remote_incident_id
    # No lastUpdate (never synced): everything the ticket has is new.
    since = to_sn_time(parsed.last_update) if parsed.last_update else EPOCH_SN_TIME

    ticket = client.get_ticket(sys_id) or {}
    entries = journal_entries(client, sys_id, since, settings)
    entries += attachment_entries(client, sys_id, since, settings)
    entries += status_entries(ticket, settings)

    updated_on = ticket.get('sys_updated_on')
    changed = bool(updated_on) and to_sn_time(updated_on) > since
    return remote_data_results(ticket if changed else {}, entries)


# --- outgoing mirroring -------------------------------------------------------------------------

def changed_remote_fields(data, delta, mapper_out, incident_type):
    """The ServiceNow fields to update: the outgoing-mapped `data` limited to what changed locally.

    `data` is the incident after the outgoing mapper (ServiceNow field names); `delta` holds the
    fields changed locally. Delta keys that are ServiceNow names are taken as they are; the others
    (XSOAR names) are mapped through the outgoing mapper to learn which ServiceNow fields they
    feed. Values always come from `data`, the full mapped incident.
    """
    if not delta:
        return {}
    changed = {key: data[key] for key in delta if key in data}
    if mapper_out:
        try:
            mapped = demisto.mapObject(delta, mapper_out, incident_type) or {}
        except Exception as error:  # no such mapper: only directly named fields are known
            demisto.error(f'Cannot map the delta with {mapper_out!r}: {error}')
            mapped = {}
        for key, value in mapped.items():
            changed[key] = data.get(key, value)
    return changed


def prepare_fields(fields):
    """Outgoing field values as ServiceNow expects them.

    Drops the closing fields (sent only when closing) and the ticket-number prefix the incident
    name carries ("INC0010001 - Printer on fire" -> "Printer on fire"); values become strings and
    None becomes '' (which clears the field).
    """
    prepared = {}
    for key, value in fields.items():
        if key in CLOSING_FIELDS:
            continue
        if value is None:
            value = ''
        elif isinstance(value, bool):
            value = 'true' if value else 'false'
        elif isinstance(value, (dict, list)):
            value = json.dumps(value)
        else:
            value = str(value)
        if key == 'short_description':
            value = NUMBER_PREFIX.sub('', value)
        prepared[key] = value
    return prepared


def entry_text(entry):
    contents = entry.get('contents')
    if contents is None:
        contents = entry.get('Contents', '')
    return contents if isinstance(contents, str) else json.dumps(contents)


def push_entry(client, sys_id, entry, settings):
    """Sends one tagged XSOAR entry: a file as an attachment, text as a comment or work note."""
    tags = entry.get('tags') or []
    try:
        entry_type = int(entry.get('type'))
    except (TypeError, ValueError):
        entry_type = None
    is_file = entry_type in FILE_ENTRY_TYPES or bool(entry.get('file'))
    if is_file:
        if settings.file_tag in tags:
            file_info = demisto.getFilePath(entry.get('id'))
            client.upload_attachment(sys_id, mirrored_file_name(file_info.get('name')),
                                     file_info['path'])
        return
    # Every entry the server hands over carries a mirror tag: the comment tag makes it a
    # comment, any other (the work-notes tag, the file tag on a text entry) a work note, once.
    text = f'{entry_text(entry)}\n\n{MIRROR_MARKER}'
    journal = 'comments' if settings.comment_tag in tags else 'work_notes'
    client.update_ticket(sys_id, {journal: text})


def close_ticket(client, sys_id, data, delta):
    """Closes the ticket (state 7) with the XSOAR close reason and notes."""
    close_code = data.get('close_code') or delta.get('closeReason') or DEFAULT_CLOSE_CODE
    close_notes = data.get('close_notes') or delta.get('closeNotes') or DEFAULT_CLOSE_NOTES
    client.update_ticket(sys_id, {'state': CLOSE_STATE, 'close_code': str(close_code),
                                  'close_notes': str(close_notes)})
    _set_ticket_closed(sys_id, True)


def update_remote_system_command(client, args, settings):
    """Pushes local changes to ServiceNow; returns the ticket's sys_id.

    Without a remoteId the ticket is created from the mapped incident. Otherwise, when the
    incident changed, only the fields changed locally are PATCHed. Tagged entries follow, and the
    closing of the incident when close_out is on.
    """
    parsed = UpdateRemoteSystemArgs(args)
    data = _load(parsed.data, {})
    delta = _load(parsed.delta, {})
    entries = _load(parsed.entries, [])
    incident_changed = _as_bool(parsed.incident_changed)
    try:
        status = int(parsed.inc_status)
    except (TypeError, ValueError):
        status = None
    sys_id = parsed.remote_incident_id

    if not sys_id:
        created = client.create_ticket(prepare_fields(data))
        sys_id = created['sys_id']
        # The fetch must never take back a ticket this integration opened for an incident.
        _remember_created_ticket(sys_id)
    elif incident_changed:
        fields = prepare_fields(changed_remote_fields(data, delta, settings.mapper_out,
                                                      settings.incident_type))
        if fields:
            client.update_ticket(sys_id, fields)

    # A push that fails half way (a rate limit) is retried with the same entries: those it sent
    # already are remembered and not sent twice.
    sent = _pushed_entries(sys_id)
    for entry in entries:
        entry_id = str(entry.get('id') or '')
        if entry_id and entry_id in sent:
            continue
        push_entry(client, sys_id, entry, settings)
        if entry_id:
            sent.add(entry_id)
            _set_pushed_entries(sys_id, sent)

    if settings.close_out and status == IncidentStatus.DONE:
        closed_tickets = _get_closed_tickets()
        if closed_tickets is None or sys_id not in closed_tickets:
            close_ticket(client, sys_id, data, delta)
    if sent:
        # The push went through: the server will not hand these entries over again.
        _set_pushed_entries(sys_id, set())
    return sys_id


# --- get-mapping-fields -------------------------------------------------------------------------

def get_mapping_fields_command():
    """The writable ServiceNow incident fields, for the outgoing mapper editor."""
    scheme = SchemeTypeMapping(type_name=INCIDENT_TYPE)
    for name, description in WRITABLE_FIELDS.items():
        scheme.add_field(name, description)
    return GetMappingFieldsResponse([scheme])


# --- entry point --------------------------------------------------------------------------------

def build_client(params):
    credentials = params.get('credentials') or {}
    url = str(params.get('url') or '').strip().rstrip('/')
    if url.endswith(API_PATH.rstrip('/')):
        url = url[:-len(API_PATH.rstrip('/'))]
    return Client(
        base_url=url + API_PATH,
        username=credentials.get('identifier'),
        password=credentials.get('password'),
        verify=not _as_bool(params.get('insecure')),
        proxy=_as_bool(params.get('proxy')),
    )


def main():
    params = demisto.params()
    args = demisto.args()
    command = demisto.command()
    demisto.debug(f'Command being called is {command}')

    try:
        settings = Settings(params)
        client = build_client(params)
        if command == 'test-module':
            return_results(test_module(client, settings, params))
        elif command == 'fetch-incidents':
            incidents, next_run = fetch_incidents(client, settings, demisto.getLastRun() or {})
            demisto.incidents(incidents)
            demisto.setLastRun(next_run)
        elif command == 'get-modified-remote-data':
            return_results(get_modified_remote_data_command(client, args))
        elif command == 'get-remote-data':
            return_results(get_remote_data_command(client, args, settings))
            _set_sync_failed(args.get('id'), False)
        elif command == 'update-remote-system':
            return_results(update_remote_system_command(client, args, settings))
        elif command == 'get-mapping-fields':
            return_results(get_mapping_fields_command())
        else:
            raise NotImplementedError(f'Command {command} is not implemented.')
    except RateLimitError as error:
        return_error(f'API rate limit exceeded in {command}: {error}. '
                     'The update is retried in the next run.', error=traceback.format_exc())
    except Exception as error:
        if command == 'get-remote-data':
            _set_sync_failed(args.get('id'), True)
        return_error(f'Failed to execute {command} command. Error: {error}',
                     error=traceback.format_exc())


if __name__ in ('__main__', '__builtin__', 'builtins'):
    main()

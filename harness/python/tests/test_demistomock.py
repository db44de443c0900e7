"""demistomock and the runner's protocol channel, in this process, over in-memory streams."""

import ast
import inspect
import io
import json
import textwrap
import time
import unittest

import support  # noqa: F401 - puts the runner's folder on the module search path

import demistomock
import xsoar_protocol
import xsoar_runner


def channel(*replies):
    """A channel whose harness answers with `replies`, one line each; `.sent()` is what went out."""
    reader = io.BytesIO(b''.join(line.encode('utf-8') + b'\n' for line in replies))
    writer = io.StringIO()
    chan = xsoar_runner.Channel(reader, writer)
    chan.sent = lambda: [json.loads(line) for line in writer.getvalue().splitlines()]
    return chan


def begin(replies=(), **message):
    chan = channel(*replies)
    message.setdefault('harness', {})
    demistomock.begin_run(message, chan)
    return chan


class ChannelTest(unittest.TestCase):
    def test_a_message_is_one_compact_ascii_line(self):
        chan = channel()
        chan.send({'type': 'x', 'text': 'caf\u00e9'})
        self.assertEqual(chan._writer.getvalue(), '{"type":"x","text":"caf\\u00e9"}\n')

    def test_nan_is_refused_rather_than_sent(self):
        with self.assertRaises(ValueError):
            channel().send({'value': float('nan')})

    def test_a_request_returns_the_reply_line(self):
        self.assertEqual(channel('{"a": 1}').request({'type': 'x'}), '{"a": 1}')
        self.assertEqual(channel('{"a": 1}').request_json({'type': 'x'}), {'a': 1})

    def test_the_error_marker_raises_value_error_with_the_text_after_it(self):
        chan = channel('{}no such command: frobnicate'.format(xsoar_protocol.ERROR_MARKER))
        with self.assertRaises(ValueError) as raised:
            chan.request({'type': 'x'})
        self.assertEqual(str(raised.exception), 'no such command: frobnicate')

    def test_a_reply_that_is_not_json_names_the_request(self):
        with self.assertRaises(ValueError) as raised:
            channel('hello').request_json({'type': 'executeCommand', 'command': 'getLastRun'})
        self.assertIn("'getLastRun'", str(raised.exception))

    def test_a_closed_channel_raises_eof(self):
        with self.assertRaises(EOFError):
            channel().request({'type': 'x'})


class LocalReadsTest(unittest.TestCase):
    def test_reads_come_from_the_start_message(self):
        begin(params={'url': 'u'}, args={'id': '7'}, command='get-user',
              context={'Inv': {'id': '9'}, 'IntegrationInstance': 'I', 'IsDebug': True,
                       'Incidents': [{'id': '1'}]})
        self.assertEqual(demistomock.params(), {'url': 'u'})
        self.assertEqual(demistomock.getArg('id'), '7')
        self.assertIsNone(demistomock.getParam('missing'))
        self.assertEqual(demistomock.command(), 'get-user')
        self.assertEqual(demistomock.investigation(), {'id': '9'})
        self.assertEqual(demistomock.integrationInstance(), 'I')
        self.assertEqual(demistomock.incident(), {'id': '1'})
        self.assertEqual(demistomock.callingContext['context']['IntegrationInstance'], 'I')
        self.assertTrue(demistomock.is_debug)

    def test_every_run_starts_fresh(self):
        begin(params={'a': 1}, context={'IsDebug': True})
        demistomock.setContext('k', 'v')
        begin()
        self.assertEqual(demistomock.params(), {})
        self.assertEqual(demistomock.context(), {})
        self.assertFalse(demistomock.is_debug)


class MessagesTest(unittest.TestCase):
    def test_results_are_sent_as_entries(self):
        chan = begin()
        demistomock.results('hi')
        demistomock.results({'a': 1})
        demistomock.results([{'Type': 4, 'Contents': 'bad', 'ContentsFormat': 'text'}, 2])
        self.assertEqual(chan.sent(), [
            {'type': xsoar_protocol.MESSAGES['results'],
             'results': [{'Type': 1, 'Contents': 'hi', 'ContentsFormat': 'text'}]},
            {'type': 'result', 'results': [{'Type': 1, 'Contents': '{"a": 1}', 'ContentsFormat': 'json'}]},
            {'type': 'result', 'results': [{'Type': 4, 'Contents': 'bad', 'ContentsFormat': 'text'},
                                           {'Type': 1, 'Contents': '2', 'ContentsFormat': 'text'}]},
        ])

    def test_log_goes_to_the_entry_log_without_a_reply(self):
        chan = begin()
        demistomock.log(42)
        self.assertEqual(chan.sent(), [{'type': 'entryLog', 'args': {'message': '42'}}])

    def test_server_log_lines_carry_their_level_and_take_one_reply_each(self):
        chan = begin(replies=['{}', '{}', '{}'])
        demistomock.info('fetched', 3)
        demistomock.error('failed')
        demistomock.debug({'k': 1})
        self.assertEqual(chan.sent(), [
            {'type': 'log', 'command': 'info', 'args': {'args': ['fetched', '3']}},
            {'type': 'log', 'command': 'error', 'args': {'args': ['failed']}},
            {'type': 'log', 'command': 'debug', 'args': {'args': ["{'k': 1}"]}},
        ])
        self.assertEqual([m['command'] for m in chan.sent()], list(xsoar_protocol.LOG_LEVELS))
        self.assertEqual(chan._reader.read(), b'', 'every reply was read')

    def test_execute_command_round_trip(self):
        chan = begin(replies=['{"lastRun": "x"}', 'null', '[1, 2]'])
        self.assertEqual(demistomock.executeCommand('getIntegrationContext', {'refresh': True}),
                         {'lastRun': 'x'})
        self.assertEqual(demistomock.getLastRun(), {})
        self.assertEqual(demistomock.executeCommand('findUser'), [1, 2])
        self.assertEqual(chan.sent(), [
            {'type': 'executeCommand', 'command': 'getIntegrationContext', 'args': {'refresh': True}},
            {'type': 'executeCommand', 'command': 'getLastRun', 'args': {}},
            {'type': 'executeCommand', 'command': 'findUser', 'args': {}},
        ])

    def test_a_failed_server_command_raises_value_error(self):
        begin(replies=[xsoar_protocol.ERROR_MARKER + 'mapper not found'])
        with self.assertRaises(ValueError) as raised:
            demistomock.mapObject({}, 'missing', 'User Profile')
        self.assertEqual(str(raised.exception), 'mapper not found')

    def test_get_file_path_asks_by_entry_id(self):
        chan = begin(replies=['{"id": "3@1", "path": "/p", "name": "n"}'])
        self.assertEqual(demistomock.getFilePath('3@1')['path'], '/p')
        self.assertEqual(chan.sent(), [{'type': xsoar_protocol.MESSAGES['getFile'],
                                        'command': 'getFilePath', 'args': {'id': '3@1'}}])

    def test_the_harness_block_answers_demisto_version_without_a_round_trip(self):
        chan = begin(harness={'serverVersion': '6.12.0', 'buildNumber': '1234'})
        self.assertEqual(demistomock.demistoVersion(), {'version': '6.12.0', 'buildNumber': '1234'})
        begin(harness={})
        self.assertEqual(demistomock.demistoVersion(),
                         {'version': xsoar_protocol.DEFAULT_SERVER_VERSION,
                          'buildNumber': xsoar_protocol.BUILD_NUMBER})
        self.assertEqual(chan.sent(), [])

    def test_a_plain_start_message_asks_the_server_once(self):
        chan = begin(replies=['{"version": "6.9.0", "buildNumber": "7"}'], harness=None)
        self.assertEqual(demistomock.demistoVersion()['version'], '6.9.0')
        self.assertEqual(demistomock.demistoVersion()['buildNumber'], '7')
        self.assertEqual(chan.sent(), [{'type': 'demistoVersion'}])

    def test_without_a_run_there_is_no_channel(self):
        demistomock.begin_run({}, None)
        with self.assertRaises(RuntimeError):
            demistomock.results('x')


class SharedSpellingsTest(unittest.TestCase):
    def test_protocol_json_names_every_message_demistomock_and_the_runner_send(self):
        self.assertEqual(set(xsoar_protocol.MESSAGES), {
            'pong', 'results', 'entryLog', 'log', 'executeCommand', 'demistoVersion', 'getFile',
            'completed', 'exception', 'leftovers'})
        self.assertTrue(xsoar_protocol.ERROR_MARKER.startswith('[ERROR-'))
        self.assertEqual(demistomock.DEFAULT_SERVER_VERSION, xsoar_protocol.DEFAULT_SERVER_VERSION)


def _keys_read(function, receivers):
    """The literal keys `function` reads with `<receiver>.get('key')`, for receivers by name."""
    keys = set()
    for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(function)))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == 'get' and node.args and isinstance(node.args[0], ast.Constant)):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, 'id', None)
        if name in receivers:
            keys.add(node.args[0].value)
    return keys


class StartMessageKeysTest(unittest.TestCase):
    """The runner reads only the start-message keys protocol.json names (the harness's tests
    check that it writes those)."""

    def test_the_start_message_keys_read_are_named_in_protocol_json(self):
        read = (_keys_read(xsoar_runner.run_script, {'message'})
                | _keys_read(demistomock._Run.__init__, {'message'}))
        self.assertTrue(read, 'the check found no reads')
        self.assertLessEqual(read, xsoar_protocol.START_MESSAGE_KEYS)

    def test_the_harness_block_keys_read_are_named_in_protocol_json(self):
        read = (_keys_read(xsoar_runner.run_script, {'harness'})
                | _keys_read(demistomock.demistoVersion, {'harness'}))
        self.assertEqual(read, xsoar_protocol.HARNESS_KEYS)


class VirtualClockTest(unittest.TestCase):
    """The clock's arithmetic; that time and datetime follow it is tested in a runner process."""

    def test_now_is_the_harness_now_plus_the_time_elapsed(self):
        clock = xsoar_runner.VirtualClock()
        clock.set_now(1262304000000)
        self.assertGreaterEqual(clock.time_ns(), 1262304000000 * 10 ** 6)
        self.assertLess(clock.time(), 1262304000 + 60)
        clock.set_now(1262304000500.5)
        self.assertAlmostEqual(clock.time(), 1262304000.5, delta=60)

    def test_without_a_harness_now_the_clock_is_real(self):
        clock = xsoar_runner.VirtualClock()
        clock.set_now(None)
        self.assertAlmostEqual(clock.time(), time.time(), delta=60)


if __name__ == '__main__':
    unittest.main()

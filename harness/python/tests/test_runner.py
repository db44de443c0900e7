"""xsoar_runner.py in a process of its own, spoken to over the protocol as the harness does."""

import datetime
import os
import shutil
import tempfile
import textwrap
import unittest

import support
import xsoar_protocol


class RunnerTestCase(unittest.TestCase):
    extra_path = ()

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix='xsoar-runner-test-')
        self.addCleanup(shutil.rmtree, self.workdir, True)
        self.runner = support.RunnerProcess(self.workdir, self.extra_path)
        self.addCleanup(self.runner.kill)

    def run_script(self, script, **harness):
        """Starts a run of `script` and returns the first message it sends."""
        self.runner.send(support.start_message(textwrap.dedent(script), harness=harness))
        return self.runner.receive()

    def assertCompletes(self):
        self.assertEqual(self.runner.receive(), {'type': 'completed'})

    def results(self, script, **harness):
        """The contents of the result entries of a run that completes without requests."""
        contents = []
        message = self.run_script(script, **harness)
        while message['type'] == xsoar_protocol.MESSAGES['results']:
            contents.extend(entry['Contents'] for entry in message['results'])
            message = self.runner.receive()
        self.assertEqual(message, {'type': 'completed'})
        return contents


class HandshakeTest(RunnerTestCase):
    def test_ping_is_answered_with_pong_in_both_forms(self):
        self.runner.send_line(xsoar_protocol.PING)
        self.assertEqual(self.runner.receive(), {'type': 'pong'})
        self.runner.send({'type': 'ping'})
        self.assertEqual(self.runner.receive(), {'type': xsoar_protocol.MESSAGES['pong']})

    def test_lines_that_are_no_messages_are_ignored_and_end_of_input_ends_the_runner(self):
        for line in ['', '   ', 'garbage', '[1]', '{"type": "nothing"}']:
            self.runner.send_line(line)
        self.runner.send_line('ping')
        self.assertEqual(self.runner.receive(), {'type': 'pong'})
        self.assertEqual(self.runner.close(), 0)
        stderr = self.runner.stderr()
        self.assertIn('ignoring a line that is not a JSON object', stderr)
        self.assertIn('neither ping nor a start message', stderr)


class RunTest(RunnerTestCase):
    def test_results_then_completed(self):
        self.assertEqual(self.results("demisto.results('hi')"), ['hi'])

    def test_runs_follow_each_other_with_fresh_globals(self):
        self.assertEqual(self.results("seen = 'first'\ndemisto.results('ok')"), ['ok'])
        self.assertEqual(self.results("demisto.results(str('seen' in globals()))"), ['False'])

    def test_execute_command_round_trip(self):
        message = self.run_script("""
            reply = demisto.executeCommand('getIntegrationContext', {'refresh': True})
            demisto.results(reply['context']['token'])
        """)
        self.assertEqual(message, {'type': 'executeCommand', 'command': 'getIntegrationContext',
                                   'args': {'refresh': True}})
        self.runner.send({'context': {'token': 't0k'}, 'version': 1})
        self.assertEqual(self.runner.receive()['results'][0]['Contents'], 't0k')
        self.assertCompletes()

    def test_log_round_trip(self):
        message = self.run_script("demisto.debug('fetched', 3)\ndemisto.log('entry')")
        self.assertEqual(message, {'type': 'log', 'command': 'debug',
                                   'args': {'args': ['fetched', '3']}})
        self.runner.send_line('{}')
        self.assertEqual(self.runner.receive(), {'type': 'entryLog', 'args': {'message': 'entry'}})
        self.assertCompletes()

    def test_the_error_marker_raises_value_error_in_the_script(self):
        message = self.run_script("""
            try:
                demisto.executeCommand('frobnicate', {})
            except ValueError as error:
                demisto.results('caught: ' + str(error))
            demisto.executeCommand('frobnicate', {})
        """)
        self.assertEqual(message['command'], 'frobnicate')
        self.runner.send_line(xsoar_protocol.ERROR_MARKER + 'unknown command')
        self.assertEqual(self.runner.receive()['results'][0]['Contents'], 'caught: unknown command')
        self.assertEqual(self.runner.receive()['command'], 'frobnicate')
        self.runner.send_line(xsoar_protocol.ERROR_MARKER + 'unknown command')
        ending = self.runner.receive()
        self.assertEqual(ending['type'], xsoar_protocol.MESSAGES['exception'])
        traceback = ending['args']['exception']
        self.assertTrue(traceback.rstrip().endswith('ValueError: unknown command'), traceback)
        self.assertIn('File "Brand.py", line 6', traceback)
        self.assertNotIn('in run_script', traceback, "the runner's own frame is left out")

    def test_the_runner_survives_an_exception(self):
        ending = self.run_script("raise RuntimeError('broken')")
        self.assertIn('RuntimeError: broken', ending['args']['exception'])
        self.assertEqual(self.results("demisto.results('next')"), ['next'])

    def test_sys_exit_zero_completes(self):
        self.assertEqual(self.results("demisto.results('x')\nimport sys\nsys.exit(0)"), ['x'])

    def test_demisto_version_comes_from_the_harness_block(self):
        script = "v = demisto.demistoVersion()\ndemisto.results(v['version'] + '-' + v['buildNumber'])"
        self.assertEqual(self.results(script, serverVersion='6.12.0', buildNumber='42'),
                         ['6.12.0-42'])

    def test_a_thread_left_running_is_reported_before_the_end(self):
        message = self.run_script("""
            import threading
            stop = threading.Event()
            threading.Thread(target=stop.wait, args=(5,), name='poller', daemon=True).start()
        """)
        self.assertEqual(message, {'type': xsoar_protocol.MESSAGES['leftovers'],
                                   'threads': ['poller']})
        self.assertCompletes()


class VirtualTimeTest(RunnerTestCase):
    SCRIPT = """
        import datetime, time
        demisto.results(str(time.time()))
        demisto.results(datetime.datetime.now().isoformat())
        demisto.results(datetime.datetime.utcnow().isoformat())
        demisto.results(datetime.date.today().isoformat())
        demisto.results(time.strftime('%Y-%m-%d'))
        demisto.results(str(isinstance(datetime.datetime(2000, 1, 1), datetime.datetime)))
    """

    def test_time_and_datetime_follow_the_harness_now(self):
        for now in (datetime.datetime(2010, 1, 1, 12, 0), datetime.datetime(2031, 6, 30, 23, 59)):
            epoch_ms = int(now.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
            seconds, local, utc, today, formatted, same_class = self.results(self.SCRIPT, now=epoch_ms)
            self.assertAlmostEqual(float(seconds), epoch_ms / 1000, delta=30)
            for shown in (local, utc):
                self.assertLess(abs(datetime.datetime.fromisoformat(shown) - now),
                                datetime.timedelta(seconds=30), shown)
            self.assertEqual(today, now.date().isoformat())
            self.assertEqual(formatted, now.strftime('%Y-%m-%d'))
            self.assertEqual(same_class, 'True')

    def test_without_a_harness_now_time_is_real(self):
        seconds = self.results("import time\ndemisto.results(str(time.time()))")[0]
        self.assertAlmostEqual(float(seconds), datetime.datetime.now().timestamp(), delta=60)


class PreloadTest(RunnerTestCase):
    def setUp(self):
        self.modules = tempfile.mkdtemp(prefix='xsoar-runner-preload-')
        self.addCleanup(shutil.rmtree, self.modules, True)
        with open(os.path.join(self.modules, 'preloaded_helpers.py'), 'w') as module:
            module.write("def greet(name):\n    return 'hello ' + name\n\n_hidden = 1\n")
        self.extra_path = (self.modules,)
        super().setUp()

    def test_preloaded_modules_give_their_public_names_without_an_import(self):
        contents = self.results("""
            demisto.results(greet('jdoe'))
            demisto.results(str('_hidden' in globals()))
        """, preload=['preloaded_helpers'])
        self.assertEqual(contents, ['hello jdoe', 'False'])

    def test_a_module_that_is_not_preloaded_is_not_there(self):
        ending = self.run_script("greet('x')")
        self.assertIn("NameError: name 'greet' is not defined", ending['args']['exception'])


if __name__ == '__main__':
    unittest.main()

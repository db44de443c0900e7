"""What the runner's unit tests share: the runner's folder on the module search path, and a
runner process to talk to over the protocol, as the harness does."""

import json
import os
import select
import subprocess
import sys
import time

RUNNER_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, 'runner'))
if RUNNER_DIR not in sys.path:
    sys.path.insert(0, RUNNER_DIR)

#: How long a test waits for one line from a runner before it fails.
LINE_TIMEOUT = 20


class RunnerProcess:
    """xsoar_runner.py in a process of its own, started the way the harness starts it."""

    def __init__(self, workdir, extra_path=()):
        env = dict(os.environ, TZ='UTC', PYTHONIOENCODING='utf-8',
                   PYTHONPATH=os.pathsep.join([RUNNER_DIR] + list(extra_path)))
        env.pop('XSOAR_RUNNER_WARM', None)
        self.process = subprocess.Popen(
            [sys.executable, '-u', '-B', os.path.join(RUNNER_DIR, 'xsoar_runner.py')],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            cwd=workdir, env=env)
        self._pending = b''
        self._stderr = None

    def send_line(self, line):
        self.process.stdin.write(line.encode('utf-8') + b'\n')
        self.process.stdin.flush()

    def send(self, message):
        self.send_line(json.dumps(message))

    def read_line(self):
        """The next line the runner writes, without its line break; None at end of output."""
        deadline = time.monotonic() + LINE_TIMEOUT
        fd = self.process.stdout.fileno()
        while b'\n' not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError('the runner wrote no line within {}s; so far: {!r}'
                                     .format(LINE_TIMEOUT, self._pending))
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                if self._pending:
                    line, self._pending = self._pending, b''
                    return line.decode('utf-8')
                return None
            self._pending += chunk
        line, self._pending = self._pending.split(b'\n', 1)
        return line.decode('utf-8')

    def receive(self):
        """The next message, parsed."""
        line = self.read_line()
        if line is None:
            raise AssertionError('the runner ended its output; stderr: {}'.format(self.stderr()))
        return json.loads(line)

    def close(self):
        """Ends input and returns the runner's exit status; stderr() then has all it wrote."""
        self.process.stdin.close()
        status = self.process.wait(timeout=LINE_TIMEOUT)
        self._stderr = self.process.stderr.read().decode('utf-8', 'replace')
        return status

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if not stream.closed:
                stream.close()

    def stderr(self):
        """What the runner wrote to stderr, once it has ended."""
        if self._stderr is None and self.process.poll() is not None:
            self._stderr = self.process.stderr.read().decode('utf-8', 'replace')
        return '(still running)' if self._stderr is None else self._stderr


def start_message(script, harness=None, command='test-module', args=None, params=None):
    """A start message as the harness writes it (`harness=False` leaves the harness block out)."""
    message = {'script': script, 'integration': True, 'native': False, 'command': command,
               'args': args or {}, 'params': params or {},
               'context': {'IntegrationBrand': 'Brand', 'IntegrationInstance': 'Brand_instance_1'}}
    if harness is not False:
        message['harness'] = dict({'scriptName': 'Brand.py'}, **(harness or {}))
    return message

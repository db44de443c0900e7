"""Runs XSOAR-style Python integrations the way the XSOAR server's script runner does.

The harness starts this file as a separate process (``python3 -u -B xsoar_runner.py``) and speaks
the XSOAR script protocol with it: one compact JSON object per line on stdin and stdout, free-form
diagnostics on stderr. The loop answers ``ping`` with ``{"type":"pong"}``, runs every start message
(a JSON object with a ``script`` key) with fresh globals and fresh ``demistomock`` state, reports
``{"type":"completed"}`` or ``{"type":"exception",...}`` and waits for the next line; end of input
ends the process with status 0.

The integration's own ``print()`` still goes to stdout, exactly as in the product, so an
integration that prints garbage corrupts the channel and the harness notices.
"""

import builtins
import datetime
import functools
import importlib
import json
import linecache
import os
import signal
import sys
import threading
import time
import traceback

import demistomock
from xsoar_protocol import ERROR_MARKER, MESSAGES, PING

try:
    import resource
except ImportError:  # not on this platform: runs are bounded by time and output only
    resource = None

DEFAULT_SCRIPT_NAME = 'integration.py'
NS_PER_SECOND = 10 ** 9
NS_PER_MS = 10 ** 6
LEFTOVER_GRACE_SECONDS = 0.2
# The runner's own waits, safe from an integration that patches `time`.
_sleep, _monotonic = time.sleep, time.monotonic


class Channel:
    """The protocol channel to the harness, on private handles to the original stdin/stdout."""

    def __init__(self, reader, writer):
        self._reader = reader
        self._writer = writer

    def send(self, message):
        """Writes one message as one compact JSON line and flushes it."""
        # ASCII-only output makes the channel independent of the locale's encoding; NaN is refused
        # because the harness's JSON parser would reject the whole line.
        line = json.dumps(message, separators=(',', ':'), ensure_ascii=True, allow_nan=False)
        self._writer.write(line + '\n')
        self._writer.flush()

    def read_line(self):
        """Returns the next line without its line break, or None at end of input."""
        raw = self._reader.readline()
        if not raw:
            return None
        return raw.decode('utf-8').rstrip('\r\n')

    def request(self, message):
        """Sends a message and returns the harness's one-line reply as text.

        A reply carrying the error marker raises ValueError with the text after the marker.
        """
        self.send(message)
        reply = self.read_line()
        if reply is None:
            raise EOFError('the harness closed the protocol channel while a reply was awaited')
        if ERROR_MARKER in reply:
            raise ValueError(reply.split(ERROR_MARKER, 1)[1])
        return reply

    def request_json(self, message):
        """Like request(), with the reply parsed as JSON."""
        reply = self.request(message)
        try:
            return json.loads(reply)
        except ValueError:
            raise ValueError('the harness replied to {!r} with a line that is not JSON: {!r}'
                             .format(message.get('command') or message.get('type'), reply)) from None


class _PatchedClassMeta(type):
    """Metaclass of the patched datetime classes: objects of the original class stay instances."""

    def __instancecheck__(cls, obj):
        original = cls.__dict__.get('_original')
        if original is None:  # a user's subclass of a patched class: ordinary rules
            return super().__instancecheck__(obj)
        return isinstance(obj, original)

    def __subclasscheck__(cls, subclass):
        original = cls.__dict__.get('_original')
        if original is None:
            return super().__subclasscheck__(subclass)
        return issubclass(subclass, original)


class VirtualClock:
    """Makes the wall-clock reads of `time` and `datetime` follow the harness's clock.

    Each run sets "now" from ``harness.now`` (epoch milliseconds); during the run the clock keeps
    moving with the wall time elapsed since. Without ``harness.now`` the real time is used.
    Monotonic clocks and sleep are left alone.
    """

    def __init__(self):
        self._real_time_ns = time.time_ns
        self._base_ns = None
        self._start_mono_ns = 0

    def set_now(self, now_ms):
        """Sets the virtual "now" for the run that starts now; None means real time."""
        if now_ms is None:
            self._base_ns = None
            return
        if isinstance(now_ms, int):
            self._base_ns = now_ms * NS_PER_MS  # exact for the integer milliseconds the harness sends
        else:
            self._base_ns = round(float(now_ms) * NS_PER_MS)
        self._start_mono_ns = time.monotonic_ns()

    def time_ns(self):
        """The current virtual time in nanoseconds since the epoch."""
        if self._base_ns is None:
            return self._real_time_ns()
        return self._base_ns + time.monotonic_ns() - self._start_mono_ns

    def time(self):
        """The current virtual time in seconds since the epoch."""
        return self.time_ns() / NS_PER_SECOND

    def install(self):
        """Patches the `time` functions and the `datetime.date`/`datetime.datetime` classes once."""
        self._patch_time_module()
        self._patch_datetime_module()

    def _patch_time_module(self):
        real_gmtime, real_localtime = time.gmtime, time.localtime
        real_strftime, real_asctime, real_ctime = time.strftime, time.asctime, time.ctime

        def seconds_or_now(secs):
            return self.time() if secs is None else secs

        @functools.wraps(real_gmtime)
        def gmtime(secs=None):
            return real_gmtime(seconds_or_now(secs))

        @functools.wraps(real_localtime)
        def localtime(secs=None):
            return real_localtime(seconds_or_now(secs))

        @functools.wraps(real_strftime)
        def strftime(format, t=None):  # noqa: A002 - the stdlib's parameter name
            return real_strftime(format, real_localtime(self.time()) if t is None else t)

        @functools.wraps(real_asctime)
        def asctime(t=None):
            return real_asctime(real_localtime(self.time()) if t is None else t)

        @functools.wraps(real_ctime)
        def ctime(secs=None):
            return real_ctime(seconds_or_now(secs))

        @functools.wraps(time.time)
        def time_():
            return self.time()

        @functools.wraps(time.time_ns)
        def time_ns():
            return self.time_ns()

        time.time, time.time_ns = time_, time_ns
        time.gmtime, time.localtime, time.strftime = gmtime, localtime, strftime
        time.asctime, time.ctime = asctime, ctime

    def _patch_datetime_module(self):
        real_date, real_datetime = datetime.date, datetime.datetime
        clock = self

        def today(cls):
            return cls.fromtimestamp(clock.time())

        def now(cls, tz=None):
            ns = clock.time_ns()
            whole = cls.fromtimestamp(ns // NS_PER_SECOND, tz)
            return whole.replace(microsecond=ns // 1000 % 10 ** 6)

        def utcnow(cls):
            return cls.now(datetime.timezone.utc).replace(tzinfo=None)

        def local_now(cls):
            return cls.now()

        def qualified_repr(original):
            # Instances of the patched class should print like the original's: datetime.datetime(...)
            def __repr__(self):
                text = original.__repr__(self)
                return 'datetime.' + text if type(self).__dict__.get('_original') else text
            return __repr__

        def patched(original, methods):
            namespace = {'_original': original, '__module__': 'datetime',
                         '__qualname__': original.__name__, '__doc__': original.__doc__,
                         '__repr__': qualified_repr(original)}
            namespace.update({name: classmethod(func) for name, func in methods.items()})
            return _PatchedClassMeta(original.__name__, (original,), namespace)

        datetime.date = patched(real_date, {'today': today})
        datetime.datetime = patched(real_datetime, {'now': now, 'utcnow': utcnow, 'today': local_now})


def _exception_message(exc):
    """The message reporting a failed run, its traceback without the runner's own frame."""
    tb = exc.__traceback__.tb_next if exc.__traceback__ else None
    text = ''.join(traceback.format_exception(type(exc), exc, tb))
    return {'type': MESSAGES['exception'], 'args': {'exception': text}}


def run_script(message, channel, clock):
    """Runs one start message to its end and reports how it ended."""
    harness = message.get('harness') or {}
    clock.set_now(harness.get('now'))
    script_name = harness.get('scriptName') or DEFAULT_SCRIPT_NAME
    source = message.get('script') or ''
    # Registering the source lets tracebacks show the integration's lines.
    linecache.cache[script_name] = (len(source), None, source.splitlines(True), script_name)
    demistomock.begin_run(message, channel)
    # The server runs code under the name 'builtins' ('__builtin__' on Python 2): content guards
    # main() with `__name__ in ('__main__', '__builtin__', 'builtins')`, some only with the last two.
    script_globals = {'__name__': 'builtins', '__file__': script_name,
                      '__builtins__': builtins, 'demisto': demistomock}
    saved_streams, saved_environ = (sys.stdout, sys.stderr), dict(os.environ)
    failure = None
    memory = MemoryLimit(harness.get('memoryLimit'))
    try:
        # Modules the server makes available to this integration without an import line
        # (harness.preload), as a star import would.
        for module_name in harness.get('preload') or ():
            module = importlib.import_module(module_name)
            script_globals.update((k, v) for k, v in vars(module).items() if not k.startswith('_'))
        exec(compile(source, script_name, 'exec'), script_globals)
    except SystemExit as exit_request:
        if exit_request.code not in (0, None):
            failure = exit_request
    except Exception as error:  # everything the script raises is reported, not fatal
        failure = error
    finally:
        # A later run in this process must not inherit redirected streams or environment changes
        # (handle_proxy and BaseClient drop proxy variables, as in the product).
        sys.stdout, sys.stderr = saved_streams
        if os.environ != saved_environ:
            os.environ.clear()
            os.environ.update(saved_environ)
        memory.lift()
        # The integration may have replaced the handler that ends this runner's tree.
        signal.signal(signal.SIGTERM, end_everything)
    # Formatted once the memory bound is lifted: a MemoryError's traceback needs memory too.
    ending = {'type': MESSAGES['completed']} if failure is None else _exception_message(failure)
    leftovers = leftover_work()
    if leftovers:
        channel.send(dict(leftovers, type=MESSAGES['leftovers']))
    channel.send(ending)


class MemoryLimit:
    """Bounds the data segment of this process (and what it starts) during one run.

    Allocations beyond the bound fail, so the integration raises MemoryError instead of taking
    the machine's memory. Between runs the runner's own bound applies again.
    """

    def __init__(self, limit):
        self._saved = None
        if not isinstance(limit, int) or resource is None:
            return
        try:
            soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
            bound = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
            resource.setrlimit(resource.RLIMIT_DATA, (bound, hard))
        except (OSError, ValueError) as error:
            print('xsoar_runner: cannot bound this run\'s memory: {}'.format(error), file=sys.stderr)
            return
        self._saved = (soft, hard)

    def lift(self):
        """Restores the bound from before the run."""
        if self._saved is not None:
            resource.setrlimit(resource.RLIMIT_DATA, self._saved)
            self._saved = None


def leftover_work():
    """What the run left running: processes it started (reaping the ones that ended) and threads.

    The harness starts this runner as a child subreaper, so every process the integration started,
    however it detached, is a child of the runner until it ends. One that is ending as the run
    returns gets a short grace.
    """
    deadline = _monotonic() + LEFTOVER_GRACE_SECONDS
    while True:
        processes = _live_children()
        threads = [t for t in threading.enumerate()
                   if t.is_alive() and t is not threading.main_thread() and t is not _WATCHDOG]
        if not (processes or threads) or _monotonic() >= deadline:
            break
        _sleep(0.01)
    found = {}
    if processes:
        found['processes'] = [_describe_process(pid) for pid in processes]
    if threads:
        found['threads'] = [t.name for t in threads]
    return found


def _live_children():
    """Reaps the children that ended and returns the pids of the ones still running."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return []
        if pid == 0:
            break
    # Some child is still running: /proc names them (elsewhere, the count is all there is).
    me = str(os.getpid())
    children = []
    try:
        names = os.listdir('/proc')
    except OSError:
        return ['?']
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open('/proc/{}/stat'.format(name)) as stat:
                fields = stat.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me and fields[0] != 'Z':
            children.append(name)
    return children or ['?']


def _describe_process(pid):
    """The pid and command line (bounded), as far as the system shows them."""
    try:
        with open('/proc/{}/cmdline'.format(pid), 'rb') as cmdline:
            command = cmdline.read(300).replace(b'\0', b' ').decode('utf-8', 'replace').strip()
    except OSError:
        command = ''
    return {'pid': int(pid) if pid.isdigit() else None, 'command': command}


def watch_parent():
    """Ends this runner and everything it started once the harness is gone, whatever the
    integration is doing (blocked in a call, ignoring end of input)."""
    parent = os.getppid()
    while os.getppid() == parent:
        _sleep(0.25)
    end_everything()


def end_everything(*_signal):
    """Kills every process this runner started, then its own process group, itself included.

    Runs on SIGTERM, which the harness arranges to arrive when it dies, and from the watchdog.
    As this runner is a child subreaper, the children of a killed child become its children:
    rounds of killing and reaping reach the whole tree, however it detached.
    """
    deadline = _monotonic() + 2
    while _monotonic() < deadline:
        children = _live_children()
        if not children or children == ['?']:
            break
        for pid in children:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        _sleep(0.005)
    # Only a runner that leads its group (as the harness starts it) ends the group.
    if os.getpgrp() == os.getpid():
        os.killpg(0, signal.SIGKILL)
    os._exit(137)


def warm_up(names):
    """Imports modules ahead of the first run (a warm process answers faster); a module that
    fails here is imported again, and reported, by the script that needs it."""
    for name in filter(None, (n.strip() for n in names.split(','))):
        try:
            importlib.import_module(name)
        except Exception:  # the script's own import reports it
            pass


_WATCHDOG = None


def main():
    """Serves the protocol until end of input."""
    global _WATCHDOG
    _WATCHDOG = threading.Thread(target=watch_parent, name='xsoar-runner-watchdog', daemon=True)
    _WATCHDOG.start()
    signal.signal(signal.SIGTERM, end_everything)
    clock = VirtualClock()
    clock.install()
    warm_up(os.environ.get('XSOAR_RUNNER_WARM', ''))
    channel = Channel(sys.stdin.buffer, sys.stdout)
    while True:
        line = channel.read_line()
        if line is None:
            return 0
        line = line.strip()
        if not line:
            continue
        if line == PING:
            channel.send({'type': MESSAGES['pong']})
            continue
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            print('xsoar_runner: ignoring a line that is not a JSON object: {!r}'.format(line[:200]),
                  file=sys.stderr)
        elif message.get('type') == PING:
            channel.send({'type': MESSAGES['pong']})
        elif 'script' in message:
            run_script(message, channel, clock)
        else:
            print('xsoar_runner: ignoring a message that is neither ping nor a start message: {!r}'
                  .format(line[:200]), file=sys.stderr)


if __name__ == '__main__':
    sys.exit(main())

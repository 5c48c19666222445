# The in-sandbox agent, started inside bubblewrap as `python3 -I -S -u -c <loader> <marshalled code> <config json>`.
# It talks to the runtime over stdin/stdout (JSON lines), runs commands directly (posix_spawnp, one
# process group each) and keeps one REPL worker per language: python is a fork of this process
# (no interpreter start-up), node is `node -e <node-worker.js>`. Stdlib only, single-threaded, no
# json/signal/subprocess imports (start-up time). Worker protocol: agent -> worker `<u32 len><code>`
# on fd 3; worker -> agent frames `<tag><u32 len><payload>` on fd 4 (o=stdout e=stderr r=ready
# d=done); fds 1 and 2 of a worker are raw pipes for what child processes write.
import os, sys, select, time, _json

CFG = {}
MAXB = 10 << 20
MAXL = 655360
SILENCE = 0.05
DRAIN_MAX = 1.0
SIGKILL = 9
SIGDEF = (13, 25)  # SIGPIPE, SIGXFSZ: back to default for spawned programs


class _Ctx:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float
    memo = None


_scan = _json.make_scanner(_Ctx())
jstr = _json.encode_basestring_ascii


def loads(text):
    return _scan(text, 0)[0]


def send(text):
    data = (text + '\n').encode()
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]


def log(msg):
    try:
        os.write(2, ('agent: %s\n' % msg).encode('utf-8', 'replace'))
    except OSError:
        pass


# ---------------------------------------------------------------- event loop
poll = select.poll()
handlers = {}
timers = []


def watch(fd, fn, events=select.POLLIN):
    handlers[fd] = fn
    poll.register(fd, events)


def unwatch(fd):
    if handlers.pop(fd, None) is not None:
        poll.unregister(fd)


def close(fd):
    unwatch(fd)
    try:
        os.close(fd)
    except OSError:
        pass


def later(delay, fn):
    t = [time.monotonic() + delay, fn]
    timers.append(t)
    return t


def cancel(t):
    if t is not None:
        t[1] = None


def run_loop():
    while True:
        timers[:] = [t for t in timers if t[1] is not None]
        wait = None
        if timers:
            wait = max(0, (min(t[0] for t in timers) - time.monotonic()) * 1000)
        for fd, ev in poll.poll(wait):
            fn = handlers.get(fd)
            if fn is not None:
                fn(ev)
        now = time.monotonic()
        for t in [t for t in timers if t[0] <= now and t[1] is not None]:
            fn, t[1] = t[1], None
            fn()


# ---------------------------------------------------------------- output
class Acc:
    """Output of one call: lines per stream in arrival order, capped at MAXB bytes / MAXL lines,
    kept as JSON fragments joined every 1024 lines (a flood of short lines stays small)."""

    def __init__(self):
        self.chunks = []
        self.out = []
        self.lines = 0
        self.size = 0
        self.trunc = False
        self.bufs = [bytearray(), bytearray()]

    def feed(self, s, data):
        if self.trunc or not data:
            return
        buf = self.bufs[s]
        buf += data
        if b'\n' in data:
            parts = buf.split(b'\n')
            self.bufs[s] = bytearray(parts.pop())
            for p in parts:
                if not self.line(s, p):
                    return
        room = MAXB - self.size
        if len(self.bufs[s]) >= room:
            self.line(s, bytes(self.bufs[s][:room - 1]) if room > 1 else b'')
            self.cut()

    def line(self, s, p):
        if p[-1:] == b'\r':
            p = p[:-1]
        n = len(p) + 1
        if self.size + n > MAXB or self.lines >= MAXL:
            self.cut()
            return False
        self.size += n
        self.lines += 1
        self.out.append('[%d,%s]' % (s, jstr(p.decode('utf-8', 'replace'))))
        if len(self.out) >= 1024:
            self.chunks.append(','.join(self.out))
            self.out = []
        return True

    def cut(self):
        self.trunc = True
        self.bufs = [bytearray(), bytearray()]

    def take(self):
        for s in (0, 1):
            if self.bufs[s]:
                self.line(s, bytes(self.bufs[s]))
        text = '[' + ','.join(self.chunks + self.out) + ']' if self.out or self.chunks else '[]'
        trunc = self.trunc
        self.__init__()
        return text, trunc


def drain(fd, acc, s):
    """Reads what a non-blocking pipe holds; returns False at EOF."""
    while True:
        try:
            data = os.read(fd, 262144)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        acc.feed(s, data)


def pipe():
    r, w = os.pipe()
    os.set_blocking(r, False)
    return r, w


class Drainer:
    """After a process ended: reads its pipes until EOF, SILENCE seconds without data or DRAIN_MAX
    seconds in all (a background child may keep writing), then calls done()."""

    def __init__(self, fds, done):
        self.fds = dict(fds)
        self.done = done
        self.timer = None
        self.deadline = later(DRAIN_MAX, self.finish)
        for fd, fn in list(self.fds.items()):
            if fd not in self.fds:
                continue
            if fn() is False:
                self.eof(fd)
            else:
                watch(fd, self.reader(fd, fn))
        self.arm()

    def reader(self, fd, fn):
        def on(ev):
            if fn() is False:
                self.eof(fd)
            else:
                self.arm()
        return on

    def eof(self, fd):
        close(fd)
        self.fds.pop(fd, None)
        if not self.fds:
            self.finish()

    def arm(self):
        cancel(self.timer)
        if self.fds:
            self.timer = later(SILENCE, self.finish)

    def finish(self):
        cancel(self.timer)
        cancel(self.deadline)
        for fd in list(self.fds):
            close(fd)
        self.fds = {}
        done, self.done = self.done, None
        if done is not None:
            done()


def status_json(status):
    code = os.waitstatus_to_exitcode(status)
    return '{"signal":%d}' % -code if code < 0 else '{"code":%d}' % code


# ---------------------------------------------------------------- commands
def run_command(req):
    rid = req['id']
    cmd = req['cmd']
    acc = Acc()
    r1, w1 = pipe()
    r2, w2 = pipe()
    try:
        try:
            pid = os.posix_spawnp(cmd, [cmd] + req['args'], os.environ, setpgroup=0, setsigdef=SIGDEF, file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, w1, 1), (os.POSIX_SPAWN_DUP2, w2, 2)])
        finally:
            os.close(w1)
            os.close(w2)
    except (OSError, ValueError) as e:
        os.close(r1)
        os.close(r2)
        msg = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        send('{"id":%d,"spawn":%s}' % (rid, jstr('Failed to spawn command: %s: %s' % (cmd, msg))))
        return
    pidfd = os.pidfd_open(pid)
    state = {'timeout': False}
    timer = None

    def on_timeout():
        state['timeout'] = True
        try:
            os.killpg(pid, SIGKILL)
        except OSError:
            pass

    def on_out(ev):
        if not drain(r1, acc, 0):
            unwatch(r1)

    def on_err(ev):
        if not drain(r2, acc, 1):
            unwatch(r2)

    def on_exit(ev):
        cancel(timer)
        close(pidfd)
        _, status = os.waitpid(pid, 0)
        unwatch(r1)
        unwatch(r2)

        def done():
            text, trunc = acc.take()
            tail = '"timeout":true' if state['timeout'] else '"exit":%d' % exit_code(status)
            send('{"id":%d,"out":%s,"trunc":%s,%s}' % (rid, text, 'true' if trunc else 'false', tail))
        Drainer({r1: lambda: drain(r1, acc, 0), r2: lambda: drain(r2, acc, 1)}, done)

    watch(r1, on_out)
    watch(r2, on_err)
    watch(pidfd, on_exit)
    if req['timeout'] is not None:
        timer = later(req['timeout'], on_timeout)


def exit_code(status):
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


# ---------------------------------------------------------------- REPL workers
class Worker:
    """One persistent interpreter: queue of calls, frames parsing, timeout, crash and restart."""

    def __init__(self, lang):
        self.lang = lang
        self.state = 'down'
        self.queue = []
        self.cur = None
        self.acc = Acc()
        self.fbuf = bytearray()
        self.failures = 0
        self.died = None
        self.pid = 0

    def start(self):
        r1, w1 = pipe()
        r2, w2 = pipe()
        rq, wq = os.pipe()
        os.set_blocking(wq, False)
        rm, wm = pipe()
        try:
            self.pid = fork_python(r1, w1, r2, w2, rq, wq, rm, wm) if self.lang == 'python' else spawn_node(w1, w2, rq, wm)
        except OSError as e:
            for fd in (r1, w1, r2, w2, rq, wq, rm, wm):
                os.close(fd)
            self.start_failed('could not start the %s interpreter: %s' % (self.name(), e.strerror or e))
            return
        for fd in (w1, w2, rq, wm):
            os.close(fd)
        self.fds = (r1, r2, wq, rm)
        self.pidfd = os.pidfd_open(self.pid)
        self.state = 'starting'
        watch(r1, lambda ev: drain(r1, self.acc, 0) or unwatch(r1))
        watch(r2, lambda ev: drain(r2, self.acc, 1) or unwatch(r2))
        watch(rm, self.on_msg)
        watch(self.pidfd, self.on_exit)

    def name(self):
        return 'python' if self.lang == 'python' else 'node'

    def start_failed(self, msg):
        log(msg)
        self.state = 'down'
        self.failures += 1
        if self.lang == image_lang and not ready_sent:
            detail = ''.join(['\n' + t for _, t in loads(self.acc.take()[0])[-20:]])
            send('{"t":"fail","msg":%s}' % jstr(msg + detail))
            return
        if self.failures < 20 and self.queue:
            later(0.05 * self.failures, self.start)
            return
        queue, self.queue = self.queue, []
        for req in queue:
            self.reply(req, ',"error":%s' % jstr(msg))

    def submit(self, req):
        self.queue.append(req)
        if self.state == 'down':
            self.failures = 0
            self.start()
        self.pump()

    def pump(self):
        if self.state != 'ready' or self.cur is not None or not self.queue:
            return
        req = self.queue.pop(0)
        data = req['code'].encode('utf-8', 'surrogatepass')
        self.cur = req
        req['timer'] = None
        req['timedout'] = False
        self.pending = memoryview(len(data).to_bytes(4, 'big') + data)
        self.write_code()
        if req['timeout'] is not None:
            req['timer'] = later(req['timeout'], self.on_timeout)

    def write_code(self, ev=0):
        """Writes the pending request without blocking (a busy worker may not read it yet)."""
        wq = self.fds[2]
        try:
            self.pending = self.pending[os.write(wq, self.pending):]
        except BlockingIOError:
            pass
        except OSError:
            self.pending = self.pending[:0]  # the worker is gone; on_exit answers
        if self.pending:
            watch(wq, self.write_code, select.POLLOUT)
        else:
            unwatch(wq)

    def on_timeout(self):
        if self.cur is not None:
            self.cur['timedout'] = True
            self.kill()

    def kill(self):
        try:
            os.killpg(self.pid, SIGKILL)
        except OSError:
            pass

    def on_msg(self, ev):
        try:
            data = os.read(self.fds[3], 262144)
        except BlockingIOError:
            return
        if not data:
            unwatch(self.fds[3])
            return
        self.frames(data)

    def frames(self, data):
        fb = self.fbuf
        fb += data
        while len(fb) >= 5:
            n = int.from_bytes(fb[1:5], 'big')
            if len(fb) < 5 + n:
                break
            tag = fb[0]
            payload = bytes(fb[5:5 + n])
            del fb[:5 + n]
            if tag == 111:
                self.acc.feed(0, payload)
            elif tag == 101:
                self.acc.feed(1, payload)
            elif tag == 100:
                self.on_done()
            elif tag == 114:
                self.on_ready()

    def on_ready(self):
        self.state = 'ready'
        self.failures = 0
        if self.lang == image_lang:
            announce_ready()
        self.pump()

    def on_done(self):
        req, self.cur = self.cur, None
        if req is None:
            return
        cancel(req['timer'])
        drain(self.fds[0], self.acc, 0)
        drain(self.fds[1], self.acc, 1)
        self.reply(req, '')
        self.pump()

    def reply(self, req, extra):
        text, trunc = self.acc.take()
        if req.get('lost') is not None:
            extra += ',"lost":%s' % req['lost']
        send('{"id":%d,"out":%s,"trunc":%s%s}' % (req['id'], text, 'true' if trunc else 'false', extra))

    def on_exit(self, ev):
        close(self.pidfd)
        _, status = os.waitpid(self.pid, 0)
        was = self.state
        self.state = 'draining'
        r1, r2, wq, rm = self.fds
        close(wq)

        def read_frames():
            try:
                data = os.read(rm, 262144)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data:
                return False
            self.frames(data)
            return True
        Drainer({r1: lambda: drain(r1, self.acc, 0), r2: lambda: drain(r2, self.acc, 1), rm: read_frames},
                lambda: self.after_exit(status, was))

    def after_exit(self, status, was):
        self.fbuf = bytearray()
        req, self.cur = self.cur, None
        crash = status_json(status)
        self.state = 'down'
        if was == 'starting':
            self.start_failed('the %s interpreter exited during start-up (%s)' % (self.name(), describe(status)))
            return
        if req is not None:
            cancel(req['timer'])
            self.reply(req, ',"timeout":true' if req['timedout'] else ',"crash":%s' % crash)
        else:
            self.died = crash
            log('the %s interpreter ended while idle (%s)' % (self.name(), describe(status)))
        self.start()

    def take_died(self):
        died, self.died = self.died, None
        return died


def describe(status):
    code = os.waitstatus_to_exitcode(status)
    return 'signal %d' % -code if code < 0 else 'exit code %d' % code


def writeall(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def spawn_node(w1, w2, rq, wm):
    argv = [CFG['node']] + CFG['nodeArgs'] + ['-e', CFG['nodeWorker']]
    return os.posix_spawn(CFG['node'], argv, os.environ, setpgroup=0, setsigdef=SIGDEF, file_actions=[
        (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, w1, 1), (os.POSIX_SPAWN_DUP2, w2, 2),
        (os.POSIX_SPAWN_DUP2, rq, 3), (os.POSIX_SPAWN_DUP2, wm, 4)])


def fork_python(r1, w1, r2, w2, rq, wq, rm, wm):
    pid = os.fork()
    if pid:
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        return pid
    try:
        os.setpgid(0, 0)
        null = os.open('/dev/null', os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(w1, 1)
        os.dup2(w2, 2)
        os.dup2(rq, 3, inheritable=False)
        os.dup2(wm, 4, inheritable=False)
        os.set_blocking(4, True)
        os.closerange(5, 1 << 20)
        python_worker()
    finally:
        os._exit(70)


# ---------------------------------------------------------------- the python REPL worker (runs in the fork)
def python_worker():
    import builtins, _ast, _thread
    me = os.getpid()
    lock = _thread.allocate_lock()
    pending = []
    try:
        fd = os.open('/proc/self/oom_score_adj', os.O_WRONLY)
        os.write(fd, b'500')
        os.close(fd)
    except OSError:
        pass

    def frame(tag, data):
        writeall(4, bytes((tag,)) + len(data).to_bytes(4, 'big') + data)

    def flush():
        with lock:
            while pending:
                tag, data = pending.pop(0)
                while pending and pending[0][0] == tag:
                    data += pending.pop(0)[1]
                frame(tag, data)

    class Bin:
        def __init__(self, out):
            self.out = out

        def write(self, b):
            return self.out.put(bytes(b))

        def flush(self):
            flush()

    class Out:
        encoding = 'utf-8'
        errors = 'backslashreplace'
        line_buffering = True
        closed = False
        mode = 'w'

        def __init__(self, tag, fd, name):
            self.tag = tag
            self.fd = fd
            self.name = name
            self.buffer = Bin(self)

        def put(self, data):
            if os.getpid() != me:  # a forked child writes like any child process: raw
                writeall(self.fd, data)
                return len(data)
            with lock:
                pending.append((self.tag, data))
            if b'\n' in data or len(data) > 8192 or len(pending) > 64:
                flush()
            return len(data)

        def write(self, s):
            if not isinstance(s, str):
                raise TypeError('write() argument must be str, not %s' % type(s).__name__)
            self.put(s.encode('utf-8', 'backslashreplace'))
            return len(s)

        def writelines(self, lines):
            for s in lines:
                self.write(s)

        def flush(self):
            if os.getpid() == me:
                flush()

        def fileno(self):
            return self.fd

        def isatty(self):
            return False

        def writable(self):
            return True

        def readable(self):
            return False

        def seekable(self):
            return False

    sys.stdout = Out(111, 1, '<stdout>')
    sys.stderr = Out(101, 2, '<stderr>')
    sys.argv = ['']
    ver = 'python%d.%d' % sys.version_info[:2]
    extra = [p for p in os.environ.get('PYTHONPATH', '').split(':') if p]
    for prefix in dict.fromkeys((sys.prefix, sys.exec_prefix)):
        for d in ('/local/lib/%s/dist-packages' % ver, '/lib/python3/dist-packages', '/lib/%s/dist-packages' % ver, '/lib/%s/site-packages' % ver):
            if os.path.isdir(prefix + d) and prefix + d not in extra:
                extra.append(prefix + d)
    sys.path[:0] = ['']
    sys.path.extend(p for p in extra if p not in sys.path)

    class Quitter:
        def __init__(self, name):
            self.name = name

        def __repr__(self):
            return 'Use %s() to exit' % self.name

        def __call__(self, code=None):
            raise SystemExit(code)
    builtins.exit = Quitter('exit')
    builtins.quit = Quitter('quit')
    main = type(sys)('__main__')
    main.__builtins__ = builtins
    sys.modules['__main__'] = main
    ns = main.__dict__

    def show(tb_skip):
        t, v, tb = sys.exc_info()
        sys.last_type, sys.last_value, sys.last_traceback = t, v, tb
        tb = tb.tb_next if tb_skip and tb is not None else None
        if v is not None:
            v.__traceback__ = tb
        sys.excepthook(t, v, tb)

    def run(code):
        try:
            tree = compile(code, '<stdin>', 'exec', 0x400, True)
        except (SyntaxError, ValueError, OverflowError):
            show(False)
            return
        for node in tree.body:
            try:
                c = compile(_ast.Interactive(body=[node]), '<stdin>', 'single', 0, True)
            except (SyntaxError, ValueError, OverflowError):
                show(False)
                return
            try:
                exec(c, ns)
            except SystemExit:
                raise
            except BaseException:
                show(True)
                return
            finally:
                if os.getpid() != me:
                    os._exit(0)

    def read_exact(n):
        data = b''
        while len(data) < n:
            chunk = os.read(3, n - len(data))
            if not chunk:
                os._exit(0)
            data += chunk
        return data

    frame(114, b'')
    while True:
        n = int.from_bytes(read_exact(4), 'big')
        code = read_exact(n).decode('utf-8', 'surrogatepass')
        try:
            run(code)
        except SystemExit as e:
            status = e.code
            if status is None:
                status = 0
            elif not isinstance(status, int):
                sys.stderr.write('%s\n' % status)
                status = 1
            flush()
            os._exit(status & 0xff)
        flush()
        frame(100, b'')


# ---------------------------------------------------------------- main
image_lang = 'python'
ready_sent = False
workers = {}


def announce_ready():
    global ready_sent
    if not ready_sent:
        ready_sent = True
        send('{"t":"ready"}')


def on_request(line):
    req = None
    try:
        req = loads(line)
        if req['t'] == 'cmd':
            run_command(req)
        else:
            w = workers[req['lang']]
            req['lost'] = w.take_died()
            w.submit(req)
    except Exception as e:  # a bug here must not take the whole sandbox down
        log('request failed: %r' % e)
        if isinstance(req, dict) and isinstance(req.get('id'), int):
            send('{"id":%d,"out":[],"trunc":false,"error":%s}' % (req['id'], jstr('agent error: %r' % e)))


def stdin_reader():
    buf = bytearray()

    def on(ev):
        try:
            data = os.read(0, 1 << 20)
        except BlockingIOError:
            return
        if not data:
            os._exit(0)  # the runtime is gone
        buf.extend(data)
        while True:
            i = buf.find(b'\n')
            if i < 0:
                break
            line = buf[:i].decode('utf-8', 'surrogatepass')
            del buf[:i + 1]
            on_request(line)
    return on


def main():
    global CFG, MAXB, MAXL, image_lang
    CFG = loads(sys.argv[-1])
    MAXB = CFG['maxBytes']
    MAXL = CFG['maxLines']
    image_lang = CFG['image']
    lim = CFG.get('rlimits')
    if lim:
        import resource
        for key, res in (('as', resource.RLIMIT_AS), ('nproc', resource.RLIMIT_NPROC)):
            if lim.get(key):
                resource.setrlimit(res, (lim[key], lim[key]))
    if CFG.get('cpus'):
        cpus = sorted(os.sched_getaffinity(0))[:CFG['cpus']]
        os.sched_setaffinity(0, cpus)
    os.open('/dev/null', os.O_RDONLY)  # fds 3 and 4 stay taken, so pipes never collide with
    os.open('/dev/null', os.O_RDONLY)  # the fds 0-4 a worker's pipes are moved to
    for lang in ('python', 'nodejs'):
        workers[lang] = Worker(lang)
    os.set_blocking(0, False)
    watch(0, stdin_reader())
    workers[image_lang].start()
    run_loop()


main()

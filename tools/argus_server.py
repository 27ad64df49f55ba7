"""`argus serve` for the measurement scripts in tools/: started on a free loopback port, stopped on exit.

    with ArgusServer(argus, ["--quiet", ...]) as server:
        ... server.port, server.pid ...
"""
import re
import subprocess
import sys
import threading


class ArgusServer:
    def __init__(self, argus, flags=()):
        self.command = [argus, "serve", "--port", "0", *flags]
        self.process = None
        self.port = None

    @property
    def pid(self):
        return self.process.pid

    def __enter__(self):
        self.process = subprocess.Popen(self.command, stderr=subprocess.PIPE, text=True)
        for line in self.process.stderr:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            if "argus: ready" in line:
                break
        if self.port is None:
            self.__exit__(None, None, None)
            sys.exit("the server did not start: " + " ".join(self.command))
        # Keep reading stderr (the access log) so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in self.process.stderr], daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)
        return False

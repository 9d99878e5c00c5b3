"""Students open the course in JupyterLab: a server from this environment lists the notebooks and runs
``import lecturekit`` in the course kernel.

The server listens on 127.0.0.1 only, on a free port, with a token; its root and every Jupyter
config/runtime/workspace directory are temporary. Each request and the whole test are bounded in
time, and the server is always shut down (then killed if it lingers).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from lecturekit import cli

ROOT = Path(__file__).resolve().parents[1]
REQUEST_TIMEOUT = 15  # seconds per request or websocket read
START_TIMEOUT = 90  # seconds for the server to answer (a busy 2-core laptop)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, tmp: Path):
        self.token, self.port = secrets.token_hex(16), _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.root = tmp / "root"
        shutil.copytree(ROOT / "notebooks", self.root / "notebooks")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        for name in (
            "JUPYTER_CONFIG_DIR",
            "JUPYTER_RUNTIME_DIR",
            "JUPYTER_DATA_DIR",
            "JUPYTERLAB_WORKSPACES_DIR",
            "JUPYTERLAB_SETTINGS_DIR",
            "IPYTHONDIR",
        ):
            env[name] = str(tmp / name.lower())
        self.log = (tmp / "server.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                f"--ServerApp.root_dir={self.root}",
                "--ServerApp.allow_remote_access=False",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],  # CI containers often run as root
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=tmp,
        )

    def request(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text.strip().startswith(("{", "[")) else text)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the Jupyter server exited with {self.process.returncode}:\n{self.output()}")
            try:
                if self.request("GET", "/api/status")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        pytest.fail(f"the Jupyter server did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text()[-4000:]

    def stop(self) -> None:
        try:
            self.request("POST", "/api/shutdown")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.log.close()


def _execute(server: Server, kernel_id: str, code: str) -> tuple[str, list[dict]]:
    """Run ``code`` in a kernel through the server's websocket; return (stdout, error contents)."""
    import websocket

    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels"
    connection = websocket.create_connection(
        url, timeout=REQUEST_TIMEOUT, header=[f"Authorization: token {server.token}"]
    )
    try:
        msg_id, session = uuid.uuid4().hex, uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": "test",
            "session": session,
            "date": "",
            "version": "5.3",
        }
        content = {
            "code": code,
            "silent": False,
            "store_history": False,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        connection.send(
            json.dumps(
                {
                    "header": header,
                    "parent_header": {},
                    "metadata": {},
                    "content": content,
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        stdout, errors = [], []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            message = json.loads(connection.recv())
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "stream" and message["content"]["name"] == "stdout":
                stdout.append(message["content"]["text"])
            elif kind == "error":
                errors.append(message["content"])
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                return "".join(stdout), errors
        pytest.fail("the kernel did not finish the cell within 120 s")
    finally:
        connection.close()


@pytest.mark.timeout(300)
def test_lab_lists_the_notebooks_and_runs_lecturekit_in_the_course_kernel(tmp_path):
    server = Server(tmp_path)
    try:
        server.wait_ready()
        status, listing = server.request("GET", "/api/contents/notebooks?content=1")
        assert status == 200 and listing["type"] == "directory"
        names = sorted(item["name"] for item in listing["content"])
        assert names == sorted(p.name for p in cli.list_notebooks())
        status, first = server.request("GET", f"/api/contents/notebooks/{names[0]}")
        assert status == 200 and first["type"] == "notebook" and first["content"]["cells"]
        assert (
            first["content"]["metadata"]["kernelspec"] == cli.COURSE_KERNELSPEC
        )  # Lab opens it in our kernel
        assert server.request("GET", "/lab")[0] == 200  # the Lab page itself is served

        _, specs = server.request("GET", "/api/kernelspecs")
        if cli.COURSE_KERNEL not in specs["kernelspecs"]:
            pytest.fail(
                f"the course kernel {cli.COURSE_KERNEL!r} is not installed in this environment "
                f"(have {sorted(specs['kernelspecs'])}); run `make kernel`"
            )
        assert specs["kernelspecs"][cli.COURSE_KERNEL]["spec"]["display_name"] == "Python (lecturekit)"
        _, kernel = server.request("POST", "/api/kernels", {"name": cli.COURSE_KERNEL})
        try:
            stdout, errors = _execute(
                server, kernel["id"], "import sys, lecturekit\nprint(lecturekit.__file__)\nprint(sys.prefix)"
            )
            assert not errors, errors
            package, prefix = stdout.split()
            assert Path(package).resolve() == (ROOT / "lecturekit" / "__init__.py").resolve()
            assert os.path.realpath(prefix) == os.path.realpath(sys.prefix)  # this project's environment
        finally:
            server.request("DELETE", f"/api/kernels/{kernel['id']}")
    finally:
        server.stop()
    assert server.process.returncode is not None

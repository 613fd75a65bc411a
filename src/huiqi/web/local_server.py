"""Running the web app as a real server process on loopback, for browser tests and benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO

STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(env: Mapping[str, str], *, workers: int = 1, log_level: str = "warning", output: IO[str] | None = None) -> Iterator[str]:
    """Start `uvicorn huiqi.web.app:app` on a free loopback port, yield its base URL, stop it afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "huiqi.web.app:app", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", log_level]
    process = subprocess.Popen(command, env=dict(env), stdout=output, stderr=output)
    try:
        _wait_for(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.time() + STARTUP_SECONDS
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"服务器启动失败（退出码 {process.returncode}）")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("服务器在 60 秒内没有开始监听")

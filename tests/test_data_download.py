"""Downloads and the cache, against a local HTTP server on 127.0.0.1 (no internet needed)."""
import hashlib
import http.server
import os
import threading
import time

import numpy as np
import pytest

from labs import data
from labs.data import registry
from labs.data.integrity import sha256_of

PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes


def remote_file(url, payload=PAYLOAD, name="payload.bin", path="test/payload.bin"):
    return data.RemoteFile(name, url, hashlib.sha256(payload).hexdigest(), len(payload), path)


class Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        kind, body = self.routes.get(self.path, ("missing", b""))
        if kind == "missing":
            self.send_error(404, "Not Found")
            return
        if kind == "slow":
            time.sleep(2)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "short":  # announce the whole body, send half of it, hang up
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up first (timeout, too long)
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """Serve ``Handler.routes`` ({path: (kind, bytes)}) on 127.0.0.1; yields (routes, base URL)."""
    routes = {}
    handler = type("RoutedHandler", (Handler,), {"routes": routes})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield routes, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def online(monkeypatch, tmp_path):
    monkeypatch.setenv("LABS_OFFLINE", "0")
    monkeypatch.setenv("LABS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LABS_DATA_MIRROR", raising=False)
    return tmp_path / "data"


def leftovers(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_download_verifies_and_renames(server, online):
    routes, base = server
    routes["/payload.bin"] = ("ok", PAYLOAD)
    path = data.download(remote_file(base + "/payload.bin"))
    assert path == online / "test" / "payload.bin"
    assert path.read_bytes() == PAYLOAD
    assert leftovers(online) == ["payload.bin"]  # no temporary file left, nothing beside the data


def test_checksum_failure_leaves_nothing(server, online):
    routes, base = server
    routes["/payload.bin"] = ("ok", PAYLOAD[::-1])  # same size, other bytes
    with pytest.raises(data.DownloadError, match=r"payload\.bin from http://127\.0\.0\.1:\d+/payload\.bin.*sha256"):
        data.download(remote_file(base + "/payload.bin"))
    assert leftovers(online) == []


def test_http_404_is_an_error(server, online):
    _, base = server
    with pytest.raises(data.DownloadError, match=r"payload\.bin from .*/nothing-here.*HTTP status 404"):
        data.download(remote_file(base + "/nothing-here"))
    assert leftovers(online) == []


def test_interrupted_download_leaves_nothing(server, online):
    routes, base = server
    routes["/payload.bin"] = ("short", PAYLOAD)
    with pytest.raises(data.DownloadError, match=r"payload\.bin from .*/payload\.bin.*(received 5,120 bytes|Incomplete)"):
        data.download(remote_file(base + "/payload.bin"))
    assert leftovers(online) == []


def test_wrong_size_is_an_error(server, online):
    routes, base = server
    routes["/payload.bin"] = ("ok", PAYLOAD + b"extra")
    with pytest.raises(data.DownloadError, match=r"more than the expected 10,240 bytes"):
        data.download(remote_file(base + "/payload.bin"))
    assert leftovers(online) == []


def test_timeout_is_an_error(server, online):
    routes, base = server
    routes["/payload.bin"] = ("slow", PAYLOAD)
    with pytest.raises(data.DownloadError, match=r"payload\.bin from .*timed out"):
        data.download(remote_file(base + "/payload.bin"), timeout=0.3)
    assert leftovers(online) == []


def test_file_urls_work(online, tmp_path):
    source = tmp_path / "served.bin"
    source.write_bytes(PAYLOAD)
    path = data.download(remote_file(source.as_uri()))
    assert path.read_bytes() == PAYLOAD


def test_offline_disables_downloads(server, online, monkeypatch):
    routes, base = server
    routes["/payload.bin"] = ("ok", PAYLOAD)
    monkeypatch.setenv("LABS_OFFLINE", "1")
    with pytest.raises(data.DownloadError, match=r"payload\.bin from .*LABS_OFFLINE=1"):
        data.download(remote_file(base + "/payload.bin"))


@pytest.fixture
def fake_mnist(server, online, monkeypatch, tmp_path):
    """A tiny mnist.npz registered in place of the real one and served by the mirror."""
    routes, base = server
    npz = tmp_path / "mnist.npz"
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), "y_test": np.arange(4, dtype=np.uint8)}
    np.savez(npz, **arrays)
    payload = npz.read_bytes()
    fake = data.RemoteFile("mnist.npz", "https://example.invalid/mnist.npz", hashlib.sha256(payload).hexdigest(),
                           len(payload), "mnist/mnist.npz")
    monkeypatch.setitem(registry.FILES, "mnist.npz", fake)
    monkeypatch.setenv("LABS_DATA_MIRROR", base + "/mirror")
    routes["/mirror/mnist/mnist.npz"] = ("ok", payload)
    return online / "mnist" / "mnist.npz", payload, arrays


def test_fetch_status_and_load(fake_mnist, monkeypatch):
    path, payload, arrays = fake_mnist
    assert data.status()["mnist"] == "missing"
    assert data.fetch("mnist") == [path]
    assert path.read_bytes() == payload
    assert data.status()["mnist"] == "cached, verified"
    monkeypatch.setenv("LABS_PROFILE", "full")
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert data.source("mnist") == "real (mnist.npz)"


def test_fetch_replaces_a_corrupt_file_and_force_downloads_again(fake_mnist):
    path, payload, _ = fake_mnist
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\0" * len(payload))
    assert data.status()["mnist"].startswith("corrupt (mnist.npz: sha256 mismatch)")
    data.fetch("mnist")
    assert path.read_bytes() == payload
    before = path.stat().st_mtime_ns
    time.sleep(0.01)
    data.fetch("mnist", force=True)
    assert path.stat().st_mtime_ns != before


def test_loaders_download_when_online(fake_mnist, monkeypatch):
    path, _, arrays = fake_mnist
    monkeypatch.setenv("LABS_PROFILE", "full")
    x, y = data.load_mnist(split="train")
    np.testing.assert_array_equal(x, arrays["x_train"])
    assert path.is_file()


@pytest.mark.parametrize("content", ["short", "same size"])
def test_corrupt_cached_file_is_never_used(fake_mnist, monkeypatch, content):
    path, payload, _ = fake_mnist
    path.parent.mkdir(parents=True)
    path.write_bytes(b"junk" if content == "short" else payload[:-1] + b"?")
    for profile in ("quick", "full"):
        monkeypatch.setenv("LABS_PROFILE", profile)
        with pytest.raises(data.CorruptFileError, match=r"mnist\.npz is corrupt .*python -m labs fetch mnist --force"):
            data.load_mnist()
    assert "corrupt" in data.source("mnist")


def test_a_changed_file_is_hashed_again(fake_mnist):
    path, payload, _ = fake_mnist
    data.fetch("mnist")
    assert data.verified_path(registry.FILES["mnist.npz"]) == path
    stat = path.stat()
    path.write_bytes(payload[:-1] + bytes([payload[-1] ^ 1]))  # same size, one bit changed
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with pytest.raises(data.CorruptFileError, match="sha256 mismatch"):
        data.verified_path(registry.FILES["mnist.npz"])
    assert sha256_of(path) != registry.FILES["mnist.npz"].sha256


def test_fetch_all_reports_every_failure(server, online, monkeypatch):
    _, base = server
    monkeypatch.setenv("LABS_DATA_MIRROR", base + "/empty")
    with pytest.raises(data.DownloadError) as caught:
        data.fetch("all")
    for name in ("mnist.npz", "t10k-images-idx3-ubyte.gz", "cifar-10-python.tar.gz", "cifar-100-python.tar.gz"):
        assert f"{name} from {base}/empty/" in str(caught.value)
    assert leftovers(online) == []


def test_bad_names_are_value_errors():
    with pytest.raises(ValueError, match=r"name='imagenet' is not a data set.*mnist, mnist-idx, cifar10, cifar100"):
        data.fetch("imagenet")
    with pytest.raises(ValueError, match=r"file='nope' is not in the registry"):
        data.remote("nope")


def test_registry_entries_are_consistent():
    assert list(data.DATASETS) == ["mnist", "mnist-idx", "cifar10", "cifar100"]
    for file in data.FILES.values():
        assert len(file.sha256) == 64 and int(file.sha256, 16) >= 0
        assert file.url.startswith("https://") and file.url.endswith(file.name)
    for name in registry.MNIST_IDX["train"] + registry.MNIST_IDX["test"]:
        assert data.FILES[name].path == f"mnist/{name}"  # the layout of ../shared/datasets

"""Download token in a terminal: a new file, readable by its owner only; never a replaced one."""

from __future__ import annotations

import stat

import pytest

from .conftest import make_app, open_tab


@pytest.fixture
def downloads(tmp_path, monkeypatch):
    folder = tmp_path / "Downloads"
    folder.mkdir()
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def toasts(monkeypatch):
    from lkdebug.tui.app import LkDebugApp

    shown: list[str] = []
    monkeypatch.setattr(LkDebugApp, "notify", lambda self, message, **_: shown.append(str(message)))
    return shown


async def test_a_download_never_replaces_a_file_and_is_private(downloads, toasts):
    mine = downloads / "lkdebug-token.txt"
    mine.write_text("the user's own file\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        await app.run_action("download_token")
        await app.run_action("download_token")
    token = app.tokens["builder"]
    assert mine.read_text() == "the user's own file\n"
    for name in ("lkdebug-token-2.txt", "lkdebug-token-3.txt"):
        saved = downloads / name
        assert saved.read_text() == token + "\n"
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600
        assert any(f"as {saved} " in toast for toast in toasts)
    assert all(token not in toast for toast in toasts)


async def test_a_symlink_in_the_way_is_not_followed(downloads, tmp_path, toasts):
    target = tmp_path / "elsewhere.txt"
    (downloads / "lkdebug-token.txt").symlink_to(target)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        await app.run_action("download_token")
    assert not target.exists()
    assert (downloads / "lkdebug-token-2.txt").read_text() == app.tokens["builder"] + "\n"


async def test_no_downloads_folder_is_a_toast(tmp_path, monkeypatch, toasts):
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(tmp_path / "missing"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_tab(pilot, "2")
        await app.run_action("download_token")
    assert "Could not save the Builder's token in" in toasts[-1] and "No such file" in toasts[-1]
    assert not (tmp_path / "missing").exists()

"""Reading text files and downloading them, verified, into a cache."""

import gzip
import hashlib
import os
import pathlib
import urllib.request
import zipfile

from lmzoo.atomic import atomic_path


def cache_dir():
    """Returns the download cache folder (`$LMZOO_CACHE` or `~/.cache/lmzoo`).

    Returns:
        `pathlib.Path`.

    Example:
    >>> cache_dir().name in ("lmzoo", os.environ.get("LMZOO_CACHE", "lmzoo"))
    True
    """
    return pathlib.Path(os.environ.get("LMZOO_CACHE", "~/.cache/lmzoo")).expanduser()


def read_text(path):
    """Reads a UTF-8 text file, decompressing it if its name ends in `.gz`.

    Args:
        path: str or `pathlib.Path`.

    Returns:
        str, with line endings as they are in the file.

    Raises:
        ValueError: the file is empty, binary (holds a NUL byte) or not
            UTF-8 text (the message names the file and the offset of the
            first bad byte, counted in the uncompressed content).

    Example:
    >>> import tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = path.write_bytes(b"caf\\xe9")
    >>> read_text(path)
    Traceback (most recent call last):
    ...
    ValueError: .../notes.txt is not UTF-8 text: byte 0xe9 at offset 3 cannot ...
    """
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        content = handle.read()
    if not content.strip():
        raise ValueError(f"{path} is empty: a corpus needs text.")
    nul = content.find(b"\x00")
    if nul >= 0:
        raise ValueError(
            f"{path} is binary, not text: a NUL byte at offset {nul}. Pass a "
            "UTF-8 text file."
        )
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not UTF-8 text: byte 0x{content[error.start]:02x} at offset "
            f"{error.start} cannot be decoded. Convert the file to UTF-8 "
            "(iconv -t UTF-8) or pass a text file."
        ) from None


def _sha256(path, compressed=False):
    digest = hashlib.sha256()
    with (gzip.open if compressed else open)(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(url, destination, sha256):
    """Downloads `url` to `destination` atomically, keeping it only if the hash fits.

    A URL of the form `archive.zip#member` names one file inside a zip
    archive: the archive is downloaded into the destination's folder (and
    reused by the next member), and the member is extracted from it.

    Args:
        url: str. Source address (any scheme urllib reads, `file://` included).
        destination: path of the file to write.
        sha256: str. Expected hex SHA-256 of the content (of the member, for
            an archive member; of the uncompressed content, for a
            destination ending in `.gz`).

    Returns:
        `pathlib.Path` of the verified file.

    Raises:
        ValueError: the content's hash differs; nothing is left behind.
        OSError: the download failed; nothing is left behind.

    Example:
    >>> import hashlib, pathlib, tempfile
    >>> source = pathlib.Path(tempfile.mkdtemp()) / "valid.txt"
    >>> _ = source.write_text("the cat sat")
    >>> digest = hashlib.sha256(b"the cat sat").hexdigest()
    >>> download(source.as_uri(), source.parent / "copy.txt", digest).read_text()
    'the cat sat'
    """
    destination = pathlib.Path(destination).expanduser()
    url, _, member = url.partition("#")
    with atomic_path(destination) as staging:
        with open(staging, "wb") as out:
            if member:
                archive = _fetch_archive(url, destination.parent)
                with zipfile.ZipFile(archive) as zipped, zipped.open(member) as src:
                    _copy(src, out)
            else:
                with urllib.request.urlopen(url, timeout=30) as src:
                    _copy(src, out)
        actual = _sha256(staging, compressed=destination.suffix == ".gz")
        if actual != sha256:
            raise ValueError(
                f"Checksum mismatch for {url}: expected sha256 {sha256}, got {actual}. "
                "The file was not kept."
            )
    return destination


def _copy(source, out):
    while chunk := source.read(1 << 20):
        out.write(chunk)


def _fetch_archive(url, folder):
    """The archive at `url`, downloaded once into `folder` (atomically)."""
    archive = folder / pathlib.PurePosixPath(url).name
    if not archive.is_file():
        with (
            atomic_path(archive) as staging,
            open(staging, "wb") as out,
            urllib.request.urlopen(url, timeout=60) as src,
        ):
            _copy(src, out)
    return archive

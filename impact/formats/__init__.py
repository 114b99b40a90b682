"""Files in and out: the import, a pipeline of parse -> typed rows -> validate -> write (readers: the data folder,
`loader`, and spreadsheets and Devpost exports, `spreadsheets`; then `rows`, `validate`, `write`),
`programmes.toml` (`programmes_file`), the data set exports and 360Giving (`dataset`), spreadsheet-safe cells
(`cells`), the charts (`charts`, plotly figures without Streamlit) and the funder report (`report`, rendered from
`templates/`); `plans` says plan against actual in words."""

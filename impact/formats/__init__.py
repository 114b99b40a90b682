"""Files in and out: the data folder (`loader`), spreadsheets and Devpost exports (`spreadsheets`),
`programmes.toml` (`programmes_file`), the data set exports and 360Giving (`dataset`), spreadsheet-safe cells
(`cells`), the charts (`charts`, plotly figures without Streamlit) and the funder report (`report`, rendered from
`templates/`)."""

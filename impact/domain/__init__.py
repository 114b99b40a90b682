"""The rules of the domain, in plain Python: the statuses and their transitions (`lifecycle`), which entries count
and in what order (`entries`), who may do what (`access`), how each kind of value is read and checked (`values`)
and how a problem with input is reported (`problems`). Everything else asks these modules; none of them opens a
database connection of its own."""

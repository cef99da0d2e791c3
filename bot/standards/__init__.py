"""Local standards and notices kept by the people who run the service (issue 13).

- store: standard values in the registry, maker-checker, dated history, audit;
- current: the parameters every worker reads (shipped YAML + approved values, reloaded on change);
- notices: notices uploaded in the console, previewed by the importer, published to the index;
- `python -m bot.standards`: the administrators' command line.

No Rasa imports.
"""

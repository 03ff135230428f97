"""Config as code: Warroom's set-up (people, teams, schedules, policies, keys, pages …) as one YAML file.

``snapshot`` reads the database into the file's shape, ``document`` reads a file (refusing unknown fields and bad
values with the file's line number), ``planning`` compares the two by natural key and ``applying`` makes the
database match, in one transaction, through each domain's own service.
"""

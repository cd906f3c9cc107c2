#!/usr/bin/env python3
"""moto's server (`python -m moto.server`), plus the CloudWatch Logs calls
of saved Logs Insights queries that moto 5.2.5 lacks: PutQueryDefinition,
DescribeQueryDefinitions and DeleteQueryDefinition, which
aws_cloudwatch_query_definition makes. Each is kept as AWS keeps it, by
account and region, so that the Terraform apply cycle (scripts/moto-cycle.py)
creates, reads back, updates and deletes the modules' saved queries.

Usage: moto-server-extras.py [moto.server's arguments: -H HOST -p PORT]
(run with the Python that has moto).
"""

import json
import sys
import time
import uuid

from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.responses import LogsResponse


def _definitions(response):
    """The query definitions of the request's account and region."""
    backend = response.logs_backend
    if not hasattr(backend, "query_definitions"):
        backend.query_definitions = {}
    return backend.query_definitions


def put_query_definition(self):
    definitions = _definitions(self)
    definition_id = self._get_param("queryDefinitionId") or str(uuid.uuid4())
    if self._get_param("queryDefinitionId") and definition_id not in definitions:
        raise ResourceNotFoundException(f"Query definition {definition_id} does not exist")
    definitions[definition_id] = {
        "queryDefinitionId": definition_id,
        "name": self._get_param("name"),
        "queryString": self._get_param("queryString"),
        "logGroupNames": self._get_param("logGroupNames") or [],
        "queryLanguage": self._get_param("queryLanguage") or "CWLI",
        "lastModified": int(time.time() * 1000),
    }
    return json.dumps({"queryDefinitionId": definition_id})


def describe_query_definitions(self):
    prefix = self._get_param("queryDefinitionNamePrefix") or ""
    found = [d for d in _definitions(self).values() if d["name"].startswith(prefix)]
    return json.dumps({"queryDefinitions": sorted(found, key=lambda d: d["name"])})


def delete_query_definition(self):
    definition_id = self._get_param("queryDefinitionId")
    removed = _definitions(self).pop(definition_id, None)
    return json.dumps({"success": removed is not None})


LogsResponse.put_query_definition = put_query_definition
LogsResponse.describe_query_definitions = describe_query_definitions
LogsResponse.delete_query_definition = delete_query_definition

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])

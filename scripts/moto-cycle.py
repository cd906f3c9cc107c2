#!/usr/bin/env python3
"""A real `terraform apply` of an example against moto, offline.

Mocked `terraform test` sees neither computed values nor apply-time wiring.
This runs the whole life of one example (terraform/examples/EXAMPLE) against
moto's AWS API emulator in server mode on 127.0.0.1: apply, read back
through the AWS API (boto3) what was created, an in-place update, a plan
that must show no change, and destroy, after which nothing may be left.

- websocket-api: the $connect authorizer and the session guard; the update
  moves the token from the query string to the header.
- http-api: an HTTP API with payload 2.0, simple responses and a scope per
  route (the route in the cache key); the update moves the keys to a KMS
  key (ECC_NIST_P521) with IAM answers, and the role may read that key's
  public key only.
- rest-api: a REST API with a TOKEN authorizer on its methods; the update
  makes it a REQUEST authorizer on the query string, with route scopes, in
  place, and redeploys the API.

moto accepts much that AWS refuses, never invokes the Lambda and ignores
logging_config: this proves the wiring, not AWS's acceptance.

Usage: moto-cycle.py PYTHON_WITH_MOTO PLUGIN_DIR WORK_DIR [EXAMPLE]
(EXAMPLE: websocket-api, the default, http-api or rest-api).
Prints one line per check; exits non-zero on the first failure.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"  # moto's default account
REGION = "eu-west-1"
# The AWS services the examples touch, each pointed at moto.
SERVICES = ["apigateway", "apigatewayv2", "cloudwatch", "iam", "kms", "lambda", "logs", "scheduler", "sns", "sqs", "sts"]
GUARD = "ws-jwt-demo-session-guard"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print(f"ok: {what}", flush=True)


class Cycle:
    """What every example's cycle shares: moto, the copied tree, terraform
    and boto3 pointed at moto."""

    EXAMPLE = None

    def __init__(self, python, plugin_dir, work):
        self.python = python
        self.plugin_dir = plugin_dir
        self.work = Path(work).resolve()
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start_moto(self):
        log = open(self.work / "moto.log", "w")
        # moto's server with the saved-query calls it lacks
        # (scripts/moto-server-extras.py).
        self.server = subprocess.Popen(
            [self.python, str(REPO / "scripts" / "moto-server-extras.py"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            # AWS's managed policies (AmazonAPIGatewayPushToCloudWatchLogs).
            env=dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true"),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1)
                return
            except OSError:
                if self.server.poll() is not None:
                    raise RuntimeError(f"moto exited: see {self.work / 'moto.log'}")
                time.sleep(0.3)
        raise RuntimeError("moto did not answer within 60 s")

    def stop_moto(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()

    def prepare(self):
        """Copies the module and the example (not the source tree's state or
        lock files), with an override file pointing the provider at moto."""
        tree = self.work / "terraform"
        shutil.rmtree(tree, ignore_errors=True)
        shutil.copytree(
            REPO / "terraform",
            tree,
            ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "tests", "terraform.tfvars"),
        )
        package = self.work / "bootstrap.zip"
        with zipfile.ZipFile(package, "w") as archive:
            info = zipfile.ZipInfo("bootstrap")
            info.external_attr = 0o755 << 16
            archive.writestr(info, "#!/bin/sh\necho 'stand-in package: moto never invokes it'\n")
        self.example = tree / "examples" / self.EXAMPLE
        endpoints = "\n".join(f'    {name} = "{self.endpoint}"' for name in SERVICES)
        # skip_requesting_account_id stays unset, so ARNs carry the account.
        (self.example / "moto_override.tf").write_text(
            f"""provider "aws" {{
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_metadata_api_check     = true

  endpoints {{
{endpoints}
  }}
}}
"""
        )
        self.variables = self.initial_variables(package)
        self.env = dict(
            os.environ,
            TF_DATA_DIR=str(self.work / "data"),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION=REGION,
            AWS_EC2_METADATA_DISABLED="true",
        )
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            self.env.pop(name, None)
        self.env["AWS_CONFIG_FILE"] = self.env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

    def terraform(self, *args, expect=(0,)):
        started = time.monotonic()
        result = subprocess.run(
            ["terraform", *args, "-no-color"],
            cwd=self.example,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode not in expect:
            sys.stdout.write(result.stdout[-6000:] + result.stderr[-6000:])
            raise AssertionError(f"terraform {args[0]} exited {result.returncode}")
        print(f"terraform {args[0]}: {time.monotonic() - started:.1f} s", flush=True)
        return result

    def write_variables(self, **changes):
        self.variables.update(changes)
        (self.example / "moto.auto.tfvars.json").write_text(json.dumps(self.variables))

    def client(self, service):
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def outputs(self):
        result = self.terraform("output", "-json")
        return {name: value["value"] for name, value in json.loads(result.stdout).items()}

    def function(self, name):
        return self.client("lambda").get_function_configuration(FunctionName=name)

    def check_permission(self, function_name, api_id):
        """API Gateway alone may invoke the function, from this API's authorizers."""
        policy = json.loads(self.client("lambda").get_policy(FunctionName=function_name)["Policy"])
        statements = policy["Statement"]
        check(len(statements) == 1, "one permission")
        statement = statements[0]
        check(statement["Principal"] == {"Service": "apigateway.amazonaws.com"}, "only API Gateway may invoke")
        check(
            statement["Condition"]["ArnLike"]["AWS:SourceArn"]
            == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/authorizers/*",
            "the permission is scoped to this API's authorizers",
        )

    def role_policies(self, function):
        """The inline policies of the function's role, by name."""
        iam = self.client("iam")
        role = function["Role"].rsplit("/", 1)[1]
        return {
            name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
        }

    def changes_after_apply(self):
        """A plan after apply: what it would change, by address."""
        self.terraform("plan", "-input=false", f"-out={self.work / 'after.tfplan'}")
        shown = self.terraform("show", "-json", str(self.work / "after.tfplan"))
        return [
            change
            for change in json.loads(shown.stdout)["resource_changes"]
            if change["change"]["actions"] != ["no-op"]
        ]

    def check_nothing_left_to_change(self):
        # moto stores no logging_config, so the function alone differs
        # from the configuration there, and only in that block.
        changes = self.changes_after_apply()
        check(
            [change["address"] for change in changes] == ["module.authorizer.aws_lambda_function.this"]
            and changes[0]["change"]["actions"] == ["update"]
            and {
                key
                for key in changes[0]["change"]["after"]
                if changes[0]["change"]["after"][key] != changes[0]["change"]["before"].get(key)
            }
            == {"logging_config"},
            "a plan after apply changes nothing but logging_config, which moto does not store",
        )

    # The dashboard's widgets (terraform/dashboard.tf), in order, with
    # metrics on.
    WIDGETS = [
        "Decisions by outcome",
        "Refusals by reason",
        "Decision latency (microseconds)",
        "Decision cache hits",
        "Cold starts",
        "Key set fetches by result",
        "Key set fetch latency (milliseconds)",
        "Stale keys served, fetches skipped",
        "Function invocations, errors and throttles",
    ]
    QUERIES = [
        "Connections of a subject",
        "Decision latency",
        "Refusals by reason",
        "Warnings and errors",
        "Why was this connection refused",
    ]

    def check_monitoring(self, function_name, topic_name, guard=None):
        """The dashboard, the alarms and their topic, the saved queries, as
        CloudWatch holds them; with guard (its function name), its part."""
        topics = [t["TopicArn"] for t in self.client("sns").list_topics()["Topics"]]
        topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:{topic_name}"
        check(topics == [topic], f"the alarms' topic {topic_name}")
        cloudwatch = self.client("cloudwatch")
        alarms = {alarm["AlarmName"]: alarm for alarm in cloudwatch.describe_alarms()["MetricAlarms"]}
        expected = {f"{function_name}-{kind}" for kind in ("errors", "throttles", "stale-keys-served", "key-set-fetch-failures")}
        if guard:
            expected.add(f"{guard}-failures")
        check(set(alarms) == expected, f"the alarms: {sorted(expected)}")
        check(
            all(alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic] for alarm in alarms.values()),
            "every alarm notifies the topic, and when it is back to OK",
        )
        body = json.loads(cloudwatch.get_dashboard(DashboardName=function_name)["DashboardBody"])
        widgets = body["widgets"]
        titles = [widget["properties"].get("title") for widget in widgets]
        expected_titles = ["Alarms", *self.WIDGETS]
        if guard:
            expected_titles += ["Session guard: errors, throttles, failure queue", "Session guard: connections scheduled, ended and failed"]
        check(titles == expected_titles, f"the dashboard {function_name}: {len(widgets)} widgets, the alarms first")
        check(
            sorted(widgets[0]["properties"]["alarms"]) == sorted(alarm["AlarmArn"] for alarm in alarms.values()),
            "the alarm widget shows every alarm",
        )
        latency = widgets[3]["properties"]["metrics"]
        check(
            [line[:4] for line in latency] == [["WsJwtAuthorizer", "DecisionLatency", "FunctionName", function_name]] * 2
            and [line[4]["stat"] for line in latency] == ["p50", "p99"],
            "decision latency p50 and p99 of this function",
        )
        if guard:
            check(
                widgets[-1]["properties"]["query"].startswith(f"SOURCE '/aws/lambda/{guard}' | filter fields.message in "),
                "the guard's activity is queried from its log group",
            )
            check(
                widgets[-2]["properties"]["metrics"][2][:4] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"{guard}-failures"],
                "the guard's failure queue depth",
            )
        definitions = self.client("logs").describe_query_definitions()["queryDefinitions"]
        mine = sorted((d["name"], d["logGroupNames"]) for d in definitions if d["name"].startswith(f"{function_name}/"))
        check(
            mine == [(f"{function_name}/{title}", [f"/aws/lambda/{function_name}"]) for title in self.QUERIES],
            "the saved queries on the function's log group",
        )
        if guard:
            theirs = sorted((d["name"], d["logGroupNames"]) for d in definitions if d["name"].startswith(f"{guard}/"))
            check(
                theirs
                == [
                    (f"{guard}/{title}", [f"/aws/lambda/{guard}"])
                    for title in ("Connections scheduled, ended and failed", "Failures", "Revokes", "What happened to this connection")
                ],
                "the guard's saved queries on its log group",
            )

    def check_monitoring_removed(self):
        check(self.client("cloudwatch").list_dashboards()["DashboardEntries"] == [], "destroy removes the dashboard")
        check(self.client("cloudwatch").describe_alarms()["MetricAlarms"] == [], "destroy removes the alarms")
        check(self.client("logs").describe_query_definitions()["queryDefinitions"] == [], "destroy removes the saved queries")
        check(self.client("sns").list_topics()["Topics"] == [], "destroy removes the alarms' topic")

    def check_roles_removed(self, prefix):
        roles = [role["RoleName"] for role in self.client("iam").list_roles()["Roles"]]
        check(not any(name.startswith(prefix) for name in roles), "destroy removes the roles")

    def run(self):
        self.work.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        self.prepare()
        self.start_moto()
        try:
            self.cycle()
        finally:
            self.stop_moto()
        print(f"moto cycle ({self.EXAMPLE}): {time.monotonic() - started:.0f} s", flush=True)


class WebSocketCycle(Cycle):
    """terraform/examples/websocket-api with the session guard."""

    EXAMPLE = "websocket-api"

    def initial_variables(self, package):
        return {
            "region": REGION,
            "package_path": str(package),
            "jwks_uri": "https://idp.example.com/.well-known/jwks.json",
            "issuers": ["https://idp.example.com"],
            "authorized_audiences": ["chat-api"],
            "access_logs": True,
            # moto is a fresh account: no API Gateway CloudWatch role is
            # set, so the example sets one (opt-in). The guard is on: its
            # package is given.
            "api_gateway_cloudwatch_role": True,
            "session_guard_package_path": str(package),
        }

    def read_back(self, token_source):
        """What AWS holds, through its API, not through Terraform's state."""
        apis = self.client("apigatewayv2").get_apis()["Items"]
        check(len(apis) == 1 and apis[0]["ProtocolType"] == "WEBSOCKET", "one WebSocket API")
        api_id = apis[0]["ApiId"]
        gateway = self.client("apigatewayv2")
        routes = {route["RouteKey"]: route for route in gateway.get_routes(ApiId=api_id)["Items"]}
        check(sorted(routes) == ["$connect", "$default"], "the routes $connect and $default")
        connect = routes["$connect"]
        check(connect["AuthorizationType"] == "CUSTOM", "$connect is authorized")
        check(routes["$default"]["AuthorizationType"] == "NONE", "$default needs no authorizer")
        # (moto lists no authorizers: each is read through the route's id.)
        authorizer = gateway.get_authorizer(ApiId=api_id, AuthorizerId=connect["AuthorizerId"])
        check(authorizer["AuthorizerType"] == "REQUEST", "the authorizer is a REQUEST authorizer")
        expected_source = {
            "query": ["route.request.querystring.authorization"],
            "header": ["route.request.header.Authorization"],
        }[token_source]
        check(authorizer["IdentitySource"] == expected_source, f"identity source {expected_source}")
        lambda_client = self.client("lambda")
        function = lambda_client.get_function_configuration(FunctionName="ws-jwt-demo-authorizer")
        function_arn = function["FunctionArn"]
        check(
            function_arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ws-jwt-demo-authorizer",
            "the function's ARN carries region and account",
        )
        check(
            authorizer["AuthorizerUri"]
            == f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
            "the authorizer invokes the function",
        )
        self.check_permission("ws-jwt-demo-authorizer", api_id)
        environment = function["Environment"]["Variables"]
        check(
            environment
            == {
                "JWT_ISSUER_JWKS_URI": "https://idp.example.com/.well-known/jwks.json",
                "JWT_AUTHORIZED_AUDIENCES": "chat-api",
                "JWT_ISSUER": "https://idp.example.com",
                "AUTHORIZED_APIS": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
                "TOKEN_SOURCES": token_source,
                **DEFAULTS,
            },
            f"the function's environment (TOKEN_SOURCES={token_source})",
        )
        check(
            function["Runtime"] == "provided.al2023"
            and function["Handler"] == "bootstrap"
            and function["Architectures"] == ["arm64"],
            "provided.al2023, bootstrap, arm64",
        )
        role = function["Role"]
        check(
            role.startswith(f"arn:aws:iam::{ACCOUNT}:role/ws-jwt-demo-authorizer-") and len(role) > 60,
            "the role's name is unique (prefix and suffix)",
        )
        account = self.client("apigateway").get_account()
        check(
            account.get("cloudwatchRoleArn", "").startswith(f"arn:aws:iam::{ACCOUNT}:role/ws-jwt-demo-apigw-logs-"),
            "the account's API Gateway CloudWatch role is set",
        )
        outputs = self.outputs()
        check(
            outputs["authorizer_id"] == authorizer["AuthorizerId"] == connect["AuthorizerId"],
            "$connect uses the module's authorizer (output authorizer_id)",
        )
        check(
            outputs["websocket_url"].startswith("wss://") and outputs["websocket_url"].endswith("/prod"),
            "the output websocket_url",
        )
        return authorizer["AuthorizerId"]

    def read_back_guard(self):
        """The session guard submodule, as moto holds it."""
        gateway = self.client("apigatewayv2")
        api_id = gateway.get_apis()["Items"][0]["ApiId"]
        lambda_client = self.client("lambda")
        function = lambda_client.get_function_configuration(FunctionName=GUARD)
        function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{GUARD}"
        check(function["FunctionArn"] == function_arn, "the guard Lambda exists")
        environment = function["Environment"]["Variables"]
        check(
            {
                key: value
                for key, value in environment.items()
                if key not in ("SESSION_GUARD_SCHEDULER_ROLE_ARN", "SESSION_GUARD_DEAD_LETTER_ARN")
            }
            == {
                "SESSION_GUARD_SCHEDULE_GROUP": GUARD,
                "SESSION_GUARD_MANAGEMENT_ENDPOINT": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod",
                "SESSION_GUARD_FUNCTION_ARN": function_arn,
            },
            "the guard's environment: its group, this stage's management endpoint, itself",
        )
        scheduler_role = environment["SESSION_GUARD_SCHEDULER_ROLE_ARN"]
        check(
            self.client("scheduler").get_schedule_group(Name=GUARD)["Name"] == GUARD,
            "the guard's schedule group exists",
        )
        log_group = f"/aws/apigateway/{api_id}/prod/access"
        stage = gateway.get_stages(ApiId=api_id)["Items"][0]
        check(
            stage["AccessLogSettings"]["DestinationArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log_group}",
            "the stage logs to the guard's log group (access_logs too)",
        )
        check(
            json.loads(stage["AccessLogSettings"]["Format"])["exp"] == "$context.authorizer.exp",
            "the stage's format carries the authorizer's exp",
        )
        filters = self.client("logs").describe_subscription_filters(logGroupName=log_group)["subscriptionFilters"]
        check(
            [f["destinationArn"] for f in filters] == [function_arn],
            "the access log group feeds the guard",
        )
        policy = json.loads(lambda_client.get_policy(FunctionName=GUARD)["Policy"])
        check(
            [s["Principal"] for s in policy["Statement"]] == [{"Service": "logs.amazonaws.com"}],
            "only CloudWatch Logs may invoke the guard (Scheduler through its role)",
        )
        iam = self.client("iam")
        guard_role = function["Role"].rsplit("/", 1)[1]
        statements = {
            s["Sid"]: s
            for s in iam.get_role_policy(RoleName=guard_role, PolicyName="session-guard")["PolicyDocument"]["Statement"]
        }
        check(
            statements["ManageThisStage"]["Resource"]
            == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/prod/DELETE/@connections/*",
            "the guard may only delete this stage's connections",
        )
        check(
            statements["OwnSchedules"]["Resource"] == f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{GUARD}/*",
            "the guard's schedules are its own group's only",
        )
        check(statements["PassSchedulerRole"]["Resource"] == scheduler_role, "the guard passes the scheduler role only")
        trust = iam.get_role(RoleName=scheduler_role.rsplit("/", 1)[1])["Role"]["AssumeRolePolicyDocument"]
        check(
            trust["Statement"][0]["Condition"]
            == {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnEquals": {"aws:SourceArn": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{GUARD}"},
            },
            "only this account's schedules of the guard's group may assume Scheduler's role",
        )
        scheduler_statements = iam.get_role_policy(RoleName=scheduler_role.rsplit("/", 1)[1], PolicyName="invoke-guard")[
            "PolicyDocument"
        ]["Statement"]
        check(
            [(s["Action"], s["Resource"]) for s in scheduler_statements]
            == [("lambda:InvokeFunction", function_arn), ("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{GUARD}-failures")],
            "Scheduler's role invokes the guard and sends to its dead-letter queue, nothing else",
        )
        queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{GUARD}-failures"
        check(
            self.client("sqs").get_queue_url(QueueName=f"{GUARD}-failures")["QueueUrl"].endswith(f"/{GUARD}-failures"),
            "the failure queue exists",
        )
        invoke_config = lambda_client.get_function_event_invoke_config(FunctionName=GUARD)
        check(
            invoke_config["MaximumRetryAttempts"] == 2
            and invoke_config["MaximumEventAgeInSeconds"] == 21600
            and invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == queue_arn,
            "failed invocations are retried twice, then go to the failure queue",
        )
        check(
            environment.get("SESSION_GUARD_DEAD_LETTER_ARN") == queue_arn,
            "schedules dead-letter to the failure queue",
        )
        check(statements["FailureQueue"]["Resource"] == queue_arn, "the guard may send to the failure queue")
        outputs = self.outputs()
        self.check_revoke_commands(outputs)
        check(
            outputs["revoke_command"].endswith(' session-guard revoke --sub "$SUBJECT"')
            and f"SESSION_GUARD_SCHEDULE_GROUP={GUARD} " in outputs["revoke_command"],
            "the output revoke_command",
        )

    def check_revoke_commands(self, outputs):
        """Runs the two revoke outputs as a shell would, with stand-ins for
        the aws and session-guard commands that print their arguments: a
        subject with quotes, a backslash and a space arrives whole."""
        if shutil.which("jq") is None:
            print("skipped: the revoke commands' quoting (no jq here)", flush=True)
            return
        bin_dir = self.work / "fake-bin"
        bin_dir.mkdir(exist_ok=True)
        for name in ("aws", "session-guard"):
            stand_in = bin_dir / name
            stand_in.write_text(
                "#!/usr/bin/env python3\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n"
            )
            stand_in.chmod(0o755)
        subject = 'a"b c\'d\\e'
        env = dict(os.environ, SUBJECT=subject, PATH=f"{bin_dir}:{os.environ['PATH']}")

        def argv(command):
            run = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, check=True)
            return json.loads(run.stdout)

        check(argv(outputs["revoke_command"])[-2:] == ["--sub", subject], "revoke_command passes any subject whole")
        payload = argv(outputs["revoke_invoke_command"])
        check(
            json.loads(payload[payload.index("--payload") + 1]) == {"revoke": {"sub": subject}},
            "revoke_invoke_command's payload carries any subject, escaped",
        )
        check(
            int(payload[payload.index("--cli-read-timeout") + 1]) > 60,
            "revoke_invoke_command waits longer than the CLI's default 60 s for a long revoke",
        )

    def cycle(self):
        self.write_variables(token_source="query")
        self.terraform("init", "-backend=false", f"-plugin-dir={self.plugin_dir}", "-input=false")
        self.terraform("apply", "-auto-approve", "-input=false")
        first = self.read_back("query")
        self.read_back_guard()
        self.check_monitoring("ws-jwt-demo-authorizer", "ws-jwt-demo-alarms", guard=GUARD)

        self.write_variables(token_source="header")
        plan = self.terraform("plan", "-input=false")
        check(
            "0 to add, 2 to change, 0 to destroy" in plan.stdout,
            "changing the transport updates the authorizer and the function in place",
        )
        self.terraform("apply", "-auto-approve", "-input=false")
        second = self.read_back("header")
        self.read_back_guard()
        check(second == first, "the authorizer kept its id")

        self.check_nothing_left_to_change()

        self.terraform("destroy", "-auto-approve", "-input=false")
        groups = [group["Name"] for group in self.client("scheduler").list_schedule_groups()["ScheduleGroups"]]
        check(GUARD not in groups, "destroy removes the guard's schedule group")
        check(
            all(f["FunctionName"] != GUARD for f in self.client("lambda").list_functions()["Functions"]),
            "destroy removes the guard",
        )
        check(
            not self.client("sqs").list_queues().get("QueueUrls"),
            "destroy removes the failure queue",
        )
        check(self.client("apigatewayv2").get_apis()["Items"] == [], "destroy removes the API")
        check(self.client("lambda").list_functions()["Functions"] == [], "destroy removes the function")
        self.check_monitoring_removed()
        self.check_roles_removed("ws-jwt-demo")


HTTP_NAME = "orders-http-demo"
HTTP_FUNCTION = f"{HTTP_NAME}-authorizer"
ROUTE_SCOPES = {
    "GET /orders": ["orders:read"],
    "GET /orders/{id}": ["orders:read"],
    "POST /orders": ["orders:write"],
}


class HttpCycle(Cycle):
    """terraform/examples/http-api: payload 2.0, simple answers and a scope
    per route, then the tokens of a KMS key with IAM answers."""

    EXAMPLE = "http-api"

    def initial_variables(self, package):
        return {
            "region": REGION,
            "package_path": str(package),
            "backend_url": "https://backend.example.com/orders-service",
            "jwks_uri": "https://idp.example.com/.well-known/jwks.json",
            "issuers": ["https://idp.example.com"],
            "authorized_audiences": ["orders-api"],
            # route_scopes, simple_responses (true), the TTL (300) and
            # access_logs (on) are the example's defaults.
        }

    def read_back(self, kms):
        gateway = self.client("apigatewayv2")
        apis = gateway.get_apis()["Items"]
        check(len(apis) == 1 and apis[0]["ProtocolType"] == "HTTP", "one HTTP API")
        api_id = apis[0]["ApiId"]
        routes = {route["RouteKey"]: route for route in gateway.get_routes(ApiId=api_id)["Items"]}
        check(sorted(routes) == sorted(ROUTE_SCOPES), "a route for each key of route_scopes")
        authorizer_ids = {route["AuthorizerId"] for route in routes.values()}
        check(
            all(route["AuthorizationType"] == "CUSTOM" for route in routes.values()) and len(authorizer_ids) == 1,
            "every route is behind the one authorizer",
        )
        integrations = gateway.get_integrations(ApiId=api_id)["Items"]
        check(
            len(integrations) == 1
            and integrations[0]["IntegrationType"] == "HTTP_PROXY"
            and integrations[0]["IntegrationUri"] == "https://backend.example.com/orders-service"
            and all(route["Target"] == f"integrations/{integrations[0]['IntegrationId']}" for route in routes.values()),
            "every route proxies to the backend",
        )
        authorizer = gateway.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_ids.pop())
        check(
            authorizer["AuthorizerType"] == "REQUEST" and authorizer["AuthorizerPayloadFormatVersion"] == "2.0",
            "a REQUEST authorizer, payload format 2.0",
        )
        check(authorizer["AuthorizerResultTtlInSeconds"] == 300, "answers cached 300 s")
        if kms:
            check(authorizer["EnableSimpleResponses"] is False, "IAM answers")
            check(
                authorizer["IdentitySource"] == ["$request.header.Authorization"],
                "IAM answers list every route: the token alone keys the cache",
            )
        else:
            check(authorizer["EnableSimpleResponses"] is True, "simple answers")
            check(
                sorted(authorizer["IdentitySource"]) == ["$context.routeKey", "$request.header.Authorization"],
                "simple answers with route scopes: the route joins the cache key",
            )
        function = self.function(HTTP_FUNCTION)
        function_arn = function["FunctionArn"]
        check(
            authorizer["AuthorizerUri"]
            == f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
            "the authorizer invokes the function",
        )
        self.check_permission(HTTP_FUNCTION, api_id)
        keys = {}
        if kms:
            key_id = self.outputs()["kms_key_id"]
            keys = {"KMS_JWT_KEY_ID": key_id}
        else:
            keys = {
                "JWT_ISSUER_JWKS_URI": "https://idp.example.com/.well-known/jwks.json",
                "SIMPLE_RESPONSES": "true",
            }
        check(
            function["Environment"]["Variables"]
            == {
                **keys,
                "JWT_AUTHORIZED_AUDIENCES": "orders-api",
                "JWT_ISSUER": "https://idp.example.com",
                "AUTHORIZED_APIS": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
                "TOKEN_SOURCES": "header",
                "ROUTE_SCOPES": json.dumps(ROUTE_SCOPES, sort_keys=True, separators=(",", ":")),
                **DEFAULTS,
            },
            "the function's environment (" + ("KMS_JWT_KEY_ID, IAM answers" if kms else "the key set URL, SIMPLE_RESPONSES") + ", ROUTE_SCOPES)",
        )
        check(
            function["Description"]
            == ("JWT authorizer for an HTTP API (payload format 2.0)" if kms else "JWT authorizer for an HTTP API (payload format 2.0, simple responses)"),
            "the function says what it serves",
        )
        policies = self.role_policies(function)
        if kms:
            key = self.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
            check(
                key["KeySpec"] == "ECC_NIST_P521" and key["KeyUsage"] == "SIGN_VERIFY" and key["Enabled"],
                "the signing key is ECC_NIST_P521, SIGN_VERIFY",
            )
            check(
                sorted(policies) == ["read-kms-public-keys", "write-logs"]
                and policies["read-kms-public-keys"]["Statement"]
                == [{"Sid": "ReadSigningKeys", "Effect": "Allow", "Action": "kms:GetPublicKey", "Resource": [key["Arn"]]}],
                "the role may call kms:GetPublicKey on that key, by its ARN, and nothing else",
            )
            public = self.client("kms").get_public_key(KeyId=key_id)
            # (moto 5.2.5 answers the deprecated CustomerMasterKeySpec alone;
            # AWS answers KeySpec beside it.)
            check(
                public.get("KeySpec", public.get("CustomerMasterKeySpec")) == "ECC_NIST_P521"
                and public["SigningAlgorithms"] == ["ECDSA_SHA_512"],
                "GetPublicKey answers what the function reads: an ES512 key",
            )
        else:
            check(sorted(policies) == ["write-logs"], "without KMS keys the role reads none")
        stage = gateway.get_stages(ApiId=api_id)["Items"]
        check(
            len(stage) == 1
            and stage[0]["StageName"] == "$default"
            and stage[0]["AccessLogSettings"]["DestinationArn"]
            == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/apigateway/{HTTP_NAME}/access",
            "the $default stage writes access logs",
        )
        outputs = self.outputs()
        check(outputs["authorizer_id"] == authorizer["AuthorizerId"], "the output authorizer_id")
        return authorizer["AuthorizerId"]

    def cycle(self):
        self.write_variables()
        self.terraform("init", "-backend=false", f"-plugin-dir={self.plugin_dir}", "-input=false")
        self.terraform("apply", "-auto-approve", "-input=false")
        first = self.read_back(kms=False)
        self.check_monitoring(HTTP_FUNCTION, f"{HTTP_NAME}-alarms")

        # The Go authorizer's setup: a KMS key signs, the authorizer answers
        # with IAM policies.
        self.write_variables(kms_signing_key=True, jwks_uri="", simple_responses=False)
        plan = self.terraform("plan", "-input=false")
        check(
            "2 to add, 2 to change, 0 to destroy" in plan.stdout,
            "moving to a KMS key adds the key and the role's right to it, and updates the authorizer and the function in place",
        )
        self.terraform("apply", "-auto-approve", "-input=false")
        second = self.read_back(kms=True)
        check(second == first, "the authorizer kept its id")

        self.check_nothing_left_to_change()

        key_id = self.outputs()["kms_key_id"]
        self.terraform("destroy", "-auto-approve", "-input=false")
        check(self.client("apigatewayv2").get_apis()["Items"] == [], "destroy removes the API")
        check(self.client("lambda").list_functions()["Functions"] == [], "destroy removes the function")
        check(
            self.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion",
            "destroy schedules the KMS key's deletion",
        )
        self.check_monitoring_removed()
        self.check_roles_removed(HTTP_NAME)


REST_NAME = "orders-rest-demo"
REST_FUNCTION = f"{REST_NAME}-authorizer"


class RestCycle(Cycle):
    """terraform/examples/rest-api: a TOKEN authorizer, then a REQUEST one."""

    EXAMPLE = "rest-api"

    def initial_variables(self, package):
        return {
            "region": REGION,
            "package_path": str(package),
            "jwks_uri": "https://idp.example.com/.well-known/jwks.json",
            "issuers": ["https://idp.example.com"],
            "authorized_audiences": ["orders-api"],
        }

    def read_back(self, request):
        gateway = self.client("apigateway")
        apis = gateway.get_rest_apis()["items"]
        check(len(apis) == 1 and apis[0]["name"] == REST_NAME, "one REST API")
        api_id = apis[0]["id"]
        authorizers = gateway.get_authorizers(restApiId=api_id)["items"]
        check(len(authorizers) == 1, "one authorizer")
        authorizer = authorizers[0]
        if request:
            check(
                authorizer["type"] == "REQUEST" and authorizer["identitySource"] == "method.request.querystring.authorization",
                "a REQUEST authorizer on the query string",
            )
        else:
            check(
                authorizer["type"] == "TOKEN" and authorizer["identitySource"] == "method.request.header.Authorization",
                "a TOKEN authorizer on the Authorization header",
            )
        if request:
            check(authorizer.get("authorizerResultTtlInSeconds") == 300, "with route scopes answers are cached 300 s")
        else:
            check(
                authorizer.get("authorizerResultTtlInSeconds") == 0,
                "without route scopes an IAM answer (for one method) is not cached",
            )
        function = self.function(REST_FUNCTION)
        function_arn = function["FunctionArn"]
        check(
            authorizer["authorizerUri"]
            == f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
            "the authorizer invokes the function",
        )
        resources = {resource["path"]: resource for resource in gateway.get_resources(restApiId=api_id)["items"]}
        check({"/orders", "/orders/{id}"} <= set(resources), "the resources /orders and /orders/{id}")
        for path in ("/orders", "/orders/{id}"):
            method = gateway.get_method(restApiId=api_id, resourceId=resources[path]["id"], httpMethod="GET")
            check(
                method["authorizationType"] == "CUSTOM" and method["authorizerId"] == authorizer["id"],
                f"GET {path} uses the authorizer",
            )
            check(method["methodIntegration"]["type"] == "MOCK", f"GET {path} answers from a MOCK integration")
        stages = gateway.get_stages(restApiId=api_id)["item"]
        check(len(stages) == 1 and stages[0]["stageName"] == "prod", "the stage prod")
        deployments = {deployment["id"] for deployment in gateway.get_deployments(restApiId=api_id)["items"]}
        check(stages[0]["deploymentId"] in deployments, "the stage serves a deployment of the API")
        self.check_permission(REST_FUNCTION, api_id)
        extra = (
            {"TOKEN_SOURCES": "query", "ROUTE_SCOPES": '{"GET /orders":[],"GET /orders/{id}":["orders:read"]}'}
            if request
            else {"TOKEN_SOURCES": "header"}
        )
        check(
            function["Environment"]["Variables"]
            == {
                "JWT_ISSUER_JWKS_URI": "https://idp.example.com/.well-known/jwks.json",
                "JWT_AUTHORIZED_AUDIENCES": "orders-api",
                "JWT_ISSUER": "https://idp.example.com",
                "AUTHORIZED_APIS": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
                **extra,
                **DEFAULTS,
            },
            "the function's environment (" + ", ".join(f"{k}={v}" for k, v in extra.items()) + ")",
        )
        check(
            function["Description"] == f"JWT authorizer for a REST API ({'REQUEST' if request else 'TOKEN'} authorizer)",
            "the function says what it serves",
        )
        check(sorted(self.role_policies(function)) == ["write-logs"], "the role writes logs, nothing else")
        outputs = self.outputs()
        check(outputs["authorizer_id"] == authorizer["id"], "the output authorizer_id")
        check(
            outputs["api_url"] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod",
            "the output api_url",
        )
        return authorizer["id"], stages[0]["deploymentId"]

    def cycle(self):
        self.write_variables()
        self.terraform("init", "-backend=false", f"-plugin-dir={self.plugin_dir}", "-input=false")
        self.terraform("apply", "-auto-approve", "-input=false")
        first, first_deployment = self.read_back(request=False)
        self.check_monitoring(REST_FUNCTION, f"{REST_NAME}-alarms")

        self.write_variables(
            rest_authorizer_type="REQUEST",
            token_source="query",
            # Both methods listed, so a cached answer speaks for both.
            route_scopes={"GET /orders": [], "GET /orders/{id}": ["orders:read"]},
        )
        plan = self.terraform("plan", "-input=false")
        check(
            "1 to add, 3 to change, 1 to destroy" in plan.stdout,
            "a REQUEST authorizer with route scopes (cached now): the authorizer, the function and the stage change in place, the API is deployed anew",
        )
        self.terraform("apply", "-auto-approve", "-input=false")
        second, second_deployment = self.read_back(request=True)
        check(second == first, "the authorizer kept its id")
        check(second_deployment != first_deployment, "the stage serves the new deployment")

        self.check_nothing_left_to_change()

        self.terraform("destroy", "-auto-approve", "-input=false")
        check(self.client("apigateway").get_rest_apis()["items"] == [], "destroy removes the API")
        check(self.client("lambda").list_functions()["Functions"] == [], "destroy removes the function")
        self.check_monitoring_removed()
        self.check_roles_removed(REST_NAME)


CYCLES = {cycle.EXAMPLE: cycle for cycle in (WebSocketCycle, HttpCycle, RestCycle)}


# What the module writes when a variable is left alone (the Lambda's defaults).
DEFAULTS = {
    "JWT_VERIFY_EXPIRATION": "true",
    "JWT_LEEWAY_SECONDS": "60",
    "JWKS_CACHE_TTL_SECONDS": "600",
    "JWKS_REFRESH_COOLDOWN_SECONDS": "10",
    "JWKS_MAX_STALE_SECONDS": "3600",
    "JWKS_MAX_BACKOFF_SECONDS": "30",
    "JWKS_FETCH_TIMEOUT_MS": "2000",
    "JWKS_MAX_BYTES": "262144",
    "PRINCIPAL_ID_CLAIM": "sub",
    "DECISION_CACHE_MAX_ENTRIES": "10000",
    "METRICS_ENABLED": "true",
    "JWT_REQUIRED_SCOPES_MODE": "any",
    "JWT_MIN_REMAINING_SECONDS": "0",
    "CONTEXT_MAX_BYTES": "4096",
    "SUBPROTOCOL_TOKEN_PREFIX": "base64url.bearer.authorization.",
    "TOKEN_COOKIE_NAME": "access_token",
}

if __name__ == "__main__":
    example = sys.argv[4] if len(sys.argv) > 4 else "websocket-api"
    try:
        CYCLES[example](*sys.argv[1:4]).run()
    except AssertionError as error:
        print(f"FAILED: {error}", flush=True)
        sys.exit(1)

"""The CloudFormation stack: a change set (what will change, printed), executed, followed
event by event until it settles; a rollback becomes one line that says why."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import yaml

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # roles for the functions; the SAM transform
MAX_TEMPLATE_BODY = 51_200  # bytes; a larger template goes through S3
DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
ROLLED_BACK = {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE",
               "UPDATE_ROLLBACK_FAILED", "UPDATE_FAILED", "DELETE_COMPLETE", "DELETE_FAILED",
               "IMPORT_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_FAILED"}
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


class StackError(Exception):
    """The stack could not be deployed (one line for the user)."""


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, …) read as plain values."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


_TemplateLoader.add_multi_constructor("!", _any_tag)


def template_parameters(body: str) -> set[str]:
    """The names of the template's Parameters."""
    try:
        data = yaml.load(body, Loader=_TemplateLoader)  # noqa: S506 — a SafeLoader subclass
    except yaml.YAMLError as error:
        raise StackError(f"the template is not valid YAML: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise StackError("the template has no Resources")
    return set(data.get("Parameters") or {})


@dataclass
class ChangeSet:
    id: str
    kind: str  # CREATE or UPDATE
    changes: list[str] = field(default_factory=list)  # one readable line each


class Stack:
    def __init__(self, cfn: Any, name: str, say: Callable[[str], None], poll: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep):
        self.cfn, self.name, self.say, self.poll, self.sleep = cfn, name, say, poll, sleep

    # -- reading ---------------------------------------------------------------------
    def describe(self) -> dict | None:
        from botocore.exceptions import ClientError

        try:
            return self.cfn.describe_stacks(StackName=self.name)["Stacks"][0]
        except ClientError as error:
            if "does not exist" in error.response.get("Error", {}).get("Message", ""):
                return None
            raise

    def outputs(self) -> dict[str, str]:
        stack = self.describe()
        if stack is None:
            raise StackError(f"stack {self.name} does not exist: deploy it once without --site-only")
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def unchanged(self, body: str, parameters: dict[str, str]) -> bool:
        """Same template, same parameter values: no change set needed (CloudFormation takes
        ten seconds or more to make one only to say so)."""
        stack = self.describe()
        if stack is None or stack["StackStatus"] not in DONE:
            return False
        current = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
        if any(current.get(k) != v for k, v in parameters.items()):
            return False
        deployed = self.cfn.get_template(StackName=self.name, TemplateStage="Original")["TemplateBody"]
        return deployed == body if isinstance(deployed, str) else False

    # -- change sets ------------------------------------------------------------------
    def change_set(self, template: dict[str, str], parameters: dict[str, str],
                   declared: set[str]) -> ChangeSet | None:
        """Create and describe a change set; None when nothing would change."""
        stack = self.describe()
        status = stack["StackStatus"] if stack else None
        if status == "ROLLBACK_COMPLETE" or status == "REVIEW_IN_PROGRESS":
            if status == "ROLLBACK_COMPLETE":
                raise StackError(f"stack {self.name} failed to create and was rolled back; delete it "
                                 f"(aws cloudformation delete-stack --stack-name {self.name}) and deploy again")
            stack = None  # an earlier dry run's empty stack: create it for real
        elif status and status.endswith("_IN_PROGRESS"):
            raise StackError(f"stack {self.name} is busy ({status}); wait for it to finish and deploy again")
        kind = "UPDATE" if stack else "CREATE"
        previous = {p["ParameterKey"] for p in stack.get("Parameters", [])} if stack else set()
        values = [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())]
        # Parameters set once (a domain, an e-mail) keep their value from deploy to deploy.
        values += [{"ParameterKey": k, "UsePreviousValue": True} for k in sorted(declared & previous - set(parameters))]
        name = "cagnotte-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
        answer = self.cfn.create_change_set(StackName=self.name, ChangeSetName=name, ChangeSetType=kind,
                                            Parameters=values, Capabilities=CAPABILITIES,
                                            Description="cagnotte deploy", **template)
        change_set = ChangeSet(id=answer["Id"], kind=kind)
        while True:
            described = self.cfn.describe_change_set(ChangeSetName=change_set.id, StackName=self.name)
            state = described["Status"]
            if state == "CREATE_COMPLETE":
                break
            if state == "FAILED":
                reason = described.get("StatusReason", "")
                self.discard(change_set)
                if any(text in reason for text in NO_CHANGES):
                    return None
                raise StackError(f"CloudFormation refused the template: {reason}")
            self.sleep(self.poll)
        changes = list(described.get("Changes", []))
        token = described.get("NextToken")
        while token:
            more = self.cfn.describe_change_set(ChangeSetName=change_set.id, StackName=self.name, NextToken=token)
            changes += more.get("Changes", [])
            token = more.get("NextToken")
        for change in changes:
            rc = change.get("ResourceChange", {})
            replace = " (replaced)" if rc.get("Replacement") == "True" else ""
            change_set.changes.append(f"  {rc.get('Action', '?'):<7} {rc.get('LogicalResourceId')} "
                                      f"({rc.get('ResourceType')}){replace}")
        return change_set

    def discard(self, change_set: ChangeSet) -> None:
        """Delete a change set not executed (and the empty stack a CREATE one leaves)."""
        self.cfn.delete_change_set(ChangeSetName=change_set.id, StackName=self.name)
        if change_set.kind == "CREATE":
            self.cfn.delete_stack(StackName=self.name)

    def execute(self, change_set: ChangeSet) -> None:
        """Run the change set and print each resource as it completes or fails, until the stack settles."""
        seen = {e["EventId"] for e in self._events()}
        started = time.monotonic()
        self.cfn.execute_change_set(ChangeSetName=change_set.id, StackName=self.name)
        failures: list[str] = []
        quiet_since = time.monotonic()
        while True:
            fresh = [e for e in self._events() if e["EventId"] not in seen]
            for event in reversed(fresh):  # oldest first
                seen.add(event["EventId"])
                status = event.get("ResourceStatus", "")
                reason = event.get("ResourceStatusReason", "")
                if status.endswith("_FAILED") and reason and "cancelled" not in reason.lower():
                    failures.append(f"{event['LogicalResourceId']} {status}: {reason}")
                if status.endswith(("_COMPLETE", "_FAILED")) and event.get("LogicalResourceId") != self.name:
                    elapsed = int(time.monotonic() - started)
                    line = f"  {elapsed // 60}:{elapsed % 60:02d}  {status:<24} {event['LogicalResourceId']}"
                    self.say(line + (f" — {reason}" if status.endswith("_FAILED") and reason else ""))
                    quiet_since = time.monotonic()
            stack = self.describe()
            status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
            if status in DONE:
                return
            if status in ROLLED_BACK:
                why = failures[0] if failures else stack.get("StackStatusReason", "no reason given") if stack else ""
                raise StackError(f"stack {self.name} rolled back ({status}): {why}")
            if time.monotonic() - quiet_since > 60:
                self.say(f"  … still {status} (CloudFront takes a few minutes)")
                quiet_since = time.monotonic()
            self.sleep(self.poll)

    def _events(self) -> list[dict]:
        from botocore.exceptions import ClientError

        try:
            return self.cfn.describe_stack_events(StackName=self.name).get("StackEvents", [])
        except ClientError:  # the stack does not exist yet: no events
            return []

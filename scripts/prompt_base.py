"""One small valid prompt artifact that the hostile-input and YAML-shape generators grow into their test files."""

BASE = """apiVersion: cairn/v1
kind: PromptTemplate
metadata:
  name: NAME
  version: 0.1.0
  owner: my-team
LABELS
compliance:
  accountable: you@example.com
  riskClass: minimal
  license: Apache-2.0
spec:
  type: text
  template: "Write a one-line greeting for {{name}}."
  variables:
    - {name: name, type: string, required: true}
  modelConfig: {provider: openai, model: gpt-4o-mini, temperature: TEMPERATURE}
"""


def prompt(name, labels="", temperature="0.7", model_extra=""):
    """The base prompt named `name`, with `labels` lines under metadata and extra modelConfig members."""
    text = BASE.replace("NAME", name).replace("LABELS\n", labels).replace("TEMPERATURE", temperature)
    return text.replace("temperature: " + temperature + "}", "temperature: " + temperature + model_extra + "}")

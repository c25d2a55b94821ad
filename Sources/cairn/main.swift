import CairnCLI

await Cairn.runFromCommandLine()

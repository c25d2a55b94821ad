import CairnCLI

Cairn.main()

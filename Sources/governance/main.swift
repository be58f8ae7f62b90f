import GovernanceCLI
import Glibc

exit(CLI.run(CommandLine.arguments))

// Debian's libyaml (libyaml-dev): the policy and pricing files are read with its event parser.
#include <yaml.h>

// The binary is a thin shell around the commands library.
#include <iostream>
#include <string>
#include <vector>

#include "cli.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  int code = crier::run_cli(args, std::cout, std::cerr, std::cin);
  std::cout.flush();
  return code;
}

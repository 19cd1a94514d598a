/* The example WASI program of the README: greets its arguments (or the world)
 * and shows the environment variable GREETING if set. Built to
 * examples/hello.wasm by tests/fixtures/build.sh. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    const char *greeting = getenv("GREETING");
    if (greeting == NULL)
        greeting = "Hello";
    if (argc < 2) {
        printf("%s, world!\n", greeting);
        return 0;
    }
    for (int i = 1; i < argc; i++)
        printf("%s, %s!\n", greeting, argv[i]);
    return 0;
}

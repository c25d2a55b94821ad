/* The yardstick for cairn's YAML loading: libyaml's event parser alone over a file, no tree built.
   Usage: yaml-events FILE RUNS; prints the median milliseconds of RUNS parses. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <yaml.h>

static double parse(const unsigned char *bytes, size_t size) {
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    yaml_parser_t parser;
    yaml_event_t event;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, bytes, size);
    for (;;) {
        if (!yaml_parser_parse(&parser, &event)) break;
        int done = event.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&event);
        if (done) break;
    }
    yaml_parser_delete(&parser);
    clock_gettime(CLOCK_MONOTONIC, &end);
    return (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: yaml-events FILE RUNS\n"); return 2; }
    FILE *file = fopen(argv[1], "rb");
    if (!file) { perror(argv[1]); return 1; }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *bytes = malloc(size);
    if (fread(bytes, 1, size, file) != (size_t)size) { perror("read"); return 1; }
    fclose(file);
    int runs = atoi(argv[2]);
    double *times = malloc(sizeof(double) * runs);
    for (int i = 0; i < runs; i++) times[i] = parse(bytes, size);
    qsort(times, runs, sizeof(double), compare);
    printf("%.1f\n", times[runs / 2]);
    return 0;
}

/**
 * Reports of one or many benchmark runs: a self-contained HTML page with inline SVG charts, and the same summary as CSV
 * and Markdown.
 */
package dev.graft.benchmarks.report;

/** Graft's exporter module. */
package dev.graft.exporter;

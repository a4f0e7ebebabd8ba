/** Graft's models module. */
package dev.graft.models;

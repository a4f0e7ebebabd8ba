/** Summaries of a network for people: the layer table that tells the body from the added head. */
package dev.graft.models.summary;

// JUnit XML read back as CI reads it: with junit2json, a JUnit XML parser built on xml2js.
import { parse } from 'junit2json';
import type { TestCase, TestSuite, TestSuites } from 'junit2json';

// junit2json's types leave out attributes it passes through all the same.
export type Suites = Omit<TestSuites, 'testsuite'> & { skipped?: number; testsuite?: Suite[] };
export type Suite = Omit<TestSuite, 'testcase'> & { file?: string; testcase?: Case[] };
export type Case = TestCase & { file?: string };

export async function readJunit(xml: string): Promise<Suites> {
  return (await parse(xml)) as Suites;
}

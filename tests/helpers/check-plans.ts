/**
 * Every test runs with the plan cache checking itself: each kept plan a query is given is compared
 * with the plan Prisma compiles for that query, and a difference fails the query (and its test).
 */
import { checkPlans } from '../../src/db/plan-cache.ts';

checkPlans(true);

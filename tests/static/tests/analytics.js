/* stands in for a site's analytics script */

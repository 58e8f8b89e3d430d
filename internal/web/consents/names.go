package consents

import (
	"context"

	"github.com/senimkz/senim/internal/pd"
	"github.com/senimkz/senim/internal/web"
)

// names turns the BINs and codes the domain records into what a citizen reads: the
// organizations' names, the data sets' and services' titles in the page's language.
type names struct {
	lang     string
	orgs     map[string]string
	owners   map[string]*pd.DataOwner
	services map[string]*pd.ServiceCode
}

func (a *area) names(ctx context.Context, lang string) (*names, error) {
	n := &names{lang: lang, orgs: map[string]string{}, owners: map[string]*pd.DataOwner{}, services: map[string]*pd.ServiceCode{}}
	orgs, err := a.cfg.Organizations.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs {
		n.orgs[o.BIN] = o.NameIn(lang)
	}
	owners, err := a.cfg.PD.DataOwners(ctx)
	if err != nil {
		return nil, err
	}
	for i := range owners {
		n.owners[owners[i].BIN] = &owners[i]
	}
	svcs, err := a.cfg.PD.ServiceCodes(ctx)
	if err != nil {
		return nil, err
	}
	for i := range svcs {
		n.services[svcs[i].Code] = &svcs[i]
	}
	return n, nil
}

// org is an initiator by its registered name, or by its BIN alone when unknown.
func (n *names) org(bin string) web.Party {
	if bin == "" {
		return web.Party{}
	}
	return web.Party{Name: n.orgs[bin], BIN: bin}
}

// owner is a data owner by the name in the directory of data owners.
func (n *names) owner(bin string) web.Party {
	if o := n.owners[bin]; o != nil {
		return web.Party{Name: o.NameIn(n.lang), BIN: bin}
	}
	return n.org(bin)
}

// dataSets are the titles of an owner's data set codes in the page's language.
func (n *names) dataSets(owner string, codes []string) []string {
	o := n.owners[owner]
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = c
		if o != nil {
			out[i] = o.DataSetTitle(c, n.lang)
		}
	}
	return out
}

// service is a proactive service's title, or its code when unknown.
func (n *names) service(code string) string {
	if s := n.services[code]; s != nil {
		return s.TitleIn(n.lang)
	}
	return code
}
